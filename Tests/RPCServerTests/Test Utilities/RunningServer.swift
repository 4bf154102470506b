import Logging
import RPCServer

/// Runs an ``RPCServer`` on a free loopback port for the duration of a test body.
enum RunningServer {
    /// Starts the server, runs `body` with its port, then shuts it down and waits for it.
    ///
    /// - Parameters:
    ///   - responder: What answers requests.
    ///   - webSockets: Routes WebSocket handshakes, if any.
    ///   - maxRequestBodyBytes: The body limit.
    ///   - body: The test, given the bound port.
    static func with<Result: Sendable>(
        router: RPCRouter = RPCRouter(),
        responder: any HTTPResponder,
        webSockets: (any WebSocketResponder)? = nil,
        maxRequestBodyBytes: Int = 1024,
        configure: (inout RPCServerConfiguration) -> Void = { _ in },
        metrics: any RPCServerMetrics = NoMetrics(),
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        var configuration = RPCServerConfiguration(host: "127.0.0.1", port: 0, maxRequestBodyBytes: maxRequestBodyBytes)
        configure(&configuration)
        let server = RPCServer(
            configuration: configuration,
            router: router,
            responder: responder,
            webSockets: webSockets,
            metrics: metrics,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let running = Task {
            try await server.run { port in portContinuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            throw RPCError(code: .internalError, message: "the server stopped before listening")
        }
        do {
            let result = try await body(port)
            server.shutDown()
            try await running.value
            return result
        } catch {
            server.shutDown()
            _ = try? await running.value
            throw error
        }
    }
}
