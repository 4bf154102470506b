public import Logging
internal import NIOCore
internal import NIOPosix
internal import Synchronization

/// The MetaChat server process's listener: one port for every face.
///
/// A connection's first bytes choose its face: the HTTP/2 preface starts an nghttp2 session
/// serving gRPC (methods from the ``RPCRouter``) and plain HTTP/2 requests (the
/// ``HTTPResponder``); anything else is HTTP/1.1 for the responder.
///
/// ```swift
/// let server = RPCServer(configuration: .defaults, router: router, responder: routes, logger: logger)
/// try await server.run()   // returns after shutDown()
/// ```
public final class RPCServer: Sendable {
    private let configuration: RPCServerConfiguration
    private let services: ServerServices
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let listening: Mutex<(any Channel)?>

    /// Creates a server; nothing is bound until ``run(onListening:)``.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen and the limits to apply.
    ///   - router: The gRPC methods.
    ///   - interceptors: Run around every gRPC call, in order.
    ///   - responder: Answers plain HTTP requests on either protocol.
    ///   - logger: Where lifecycle events are logged.
    public init(
        configuration: RPCServerConfiguration,
        router: RPCRouter = RPCRouter(),
        interceptors: [any ServerInterceptor] = [],
        responder: any HTTPResponder,
        logger: Logger
    ) {
        self.configuration = configuration
        self.services = ServerServices(
            router: router,
            responder: responder,
            interceptors: interceptors,
            configuration: configuration
        )
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup.singleton
        self.listening = Mutex(nil)
    }

    /// Binds, serves until ``shutDown()``, then returns.
    ///
    /// - Parameter onListening: Called with the bound port once the server accepts
    ///   connections (useful when the configured port is 0).
    public func run(onListening: @Sendable (Int) -> Void = { _ in }) async throws {
        let services = self.services
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ProtocolSniffingHandler(services: services))
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
