import EchoFixture
import Foundation
import Logging
import RESTBridge
import RPCServer

/// Serves the echo fixture on `127.0.0.1:<port>` for interop tests and benchmarks.
///
/// Usage: `echo-server [port]` (0 or none picks a free port). Prints `listening <port>` on one
/// line once it accepts connections; stops on SIGTERM or when standard input closes.
@main
enum EchoServerCommand {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        let port = arguments.first.flatMap { Int($0) } ?? 0
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        var routes = RawRouteTable()
        routes.add("GET", "/ping") { _ in .json(status: 200, #"{"pong":true}"#) }
        var logger = Logger(label: "echo-server")
        logger.logLevel = .warning
        var configuration = RPCServerConfiguration(host: "127.0.0.1", port: port, maxRequestBodyBytes: 5 * 1024 * 1024)
        configuration.webSocket = EchoWebSocketRoute.limits
        let server = RPCServer(
            configuration: configuration,
            router: router,
            responder: routes,
            webSockets: EchoWebSocketRoute.table(),
            reflection: try ReflectionService(descriptorSets: [EchoDescriptorSet.bytes]),
            logger: logger
        )
        let stdinWatcher = Thread {
            while readLine() != nil {}
            server.shutDown()
        }
        stdinWatcher.start()
        try await server.run { port in
            FileHandle.standardOutput.write(Data("listening \(port)\n".utf8))
        }
    }
}
