public import Logging
internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import Synchronization

/// The MetaChat server process's listener: one port for every face.
///
/// At this stage it serves HTTP/1.1 through an ``HTTPResponder``; the HTTP/2 (gRPC) face
/// joins it on the same port.
///
/// ```swift
/// let server = RPCServer(configuration: .defaults, responder: routes, logger: logger)
/// try await server.run()   // returns after shutDown()
/// ```
public final class RPCServer: Sendable {
    private let configuration: RPCServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let listening: Mutex<(any Channel)?>

    /// Creates a server; nothing is bound until ``run(onListening:)``.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen and the limits to apply.
    ///   - responder: Answers HTTP requests.
    ///   - logger: Where lifecycle events are logged.
    public init(configuration: RPCServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup.singleton
        self.listening = Mutex(nil)
    }

    /// Binds, serves until ``shutDown()``, then returns.
    ///
    /// - Parameter onListening: Called with the bound port once the server accepts
    ///   connections (useful when the configured port is 0).
    public func run(onListening: @Sendable (Int) -> Void = { _ in }) async throws {
        let responder = self.responder
        let maxBody = self.configuration.maxRequestBodyBytes
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        HTTP1ConnectionHandler(responder: responder, maxBodyBytes: maxBody)
                    )
                }
            }
            .bind(host: self.configuration.host, port: self.configuration.port)
            .get()
        self.listening.withLock { $0 = channel }
        let port = channel.localAddress?.port ?? self.configuration.port
        self.logger.info("listening", metadata: ["host": "\(self.configuration.host)", "port": "\(port)"])
        onListening(port)
        try await channel.closeFuture.get()
        self.logger.info("stopped listening")
    }

    /// Stops accepting connections; ``run(onListening:)`` returns once the listener closes.
    public func shutDown() {
        let channel = self.listening.withLock { $0 }
        channel?.close(promise: nil)
    }
}
