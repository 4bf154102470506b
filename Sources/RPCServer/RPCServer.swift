package import Logging
internal import NIOCore
internal import NIOPosix
internal import ServiceLifecycle
internal import Synchronization

/// The MetaChat server process's listener: one port for every face.
///
/// A connection's first bytes choose its face: the HTTP/2 preface starts an nghttp2 session
/// serving gRPC (methods from the ``RPCRouter``) and plain HTTP/2 requests (the
/// ``HTTPResponder``); anything else is HTTP/1.1 for the responder, where WebSocket handshakes
/// for the ``WebSocketResponder``'s routes become WebSocket sessions.
///
/// ```swift
/// let server = RPCServer(configuration: .defaults, router: router, responder: routes, logger: logger)
/// try await server.run()   // returns after shutDown(), or graceful shutdown of its ServiceGroup
/// ```
///
/// As a ``Service`` it serves until its `ServiceGroup` shuts down gracefully, which begins
/// ``shutDown(gracePeriod:)``; `run()` returns once every connection closed and every handler
/// task ended.
package final class RPCServer: Service, Sendable {
    private let configuration: RPCServerConfiguration
    /// What every connection shares: router, responder, limits and the count of handler tasks.
    let services: ServerServices
    private let logger: Logger
    private let listening: Mutex<Listening>
    /// The listener and whether shutdown was asked for, perhaps before the listener was bound.
    private struct Listening {
        var channel: (any Channel)?
        var shutDownRequested = false
        /// Closes the connections left when the grace period ends.
        var graceTimer: Scheduled<Void>?
        /// The event loops are stopping or stopped: nothing may be scheduled on them any more (a
        /// task scheduled on a loop that is shutting down can be dropped with its promise).
        var loopsStopping = false
    }
    private let connections: ConnectionRegistry

    /// The server's `grpc.health.v1.Health` service: every routed service is `SERVING` while
    /// the server listens and `NOT_SERVING` once shutdown begins.
    package let health: HealthService

    /// Creates a server; nothing is bound until ``run(onListening:)``.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen and the limits to apply.
    ///   - router: The gRPC methods.
    ///   - interceptors: Run around every gRPC call, in order.
    ///   - responder: Answers plain HTTP requests on either protocol.
    ///   - webSockets: Routes WebSocket handshakes on HTTP/1.1; `nil` (the default) serves none,
    ///     so every handshake reaches `responder`.
    ///   - reflection: Serves `grpc.reflection` from these descriptors when given.
    ///   - metrics: Receives connection, stream and call measurements.
    ///   - logger: Where lifecycle events are logged.
    package init(
        configuration: RPCServerConfiguration,
        router: RPCRouter = RPCRouter(),
        interceptors: [any ServerInterceptor] = [],
        responder: any HTTPResponder,
        webSockets: (any WebSocketResponder)? = nil,
        reflection: ReflectionService? = nil,
        metrics: any RPCServerMetrics = NoMetrics(),
        logger: Logger
    ) {
        self.configuration = configuration
        let health = HealthService()
        var router = router
        health.registerMethods(with: &router)
        reflection?.registerMethods(with: &router)
        router = router.intercepted(by: interceptors)
        self.health = health
        self.services = ServerServices(
            router: router,
            responder: GRPCWebResponder(
                router: router,
                interceptors: interceptors,
                maxMessageBytes: configuration.rpc.maxReceiveMessageBytes,
                maxBufferedBytes: configuration.rpc.maxBufferedResponseBytes,
                clientAddresses: ClientAddressResolver(trustedProxies: configuration.trustedProxies),
                metrics: metrics,
                next: responder
            ),
            webSockets: webSockets,
            configuration: configuration,
            metrics: metrics
        )
        self.logger = logger
        self.listening = Mutex(Listening())
        self.connections = ConnectionRegistry()
    }

    /// Binds, serves until graceful shutdown (``shutDown(gracePeriod:)``, or its `ServiceGroup`'s),
    /// then returns.
    package func run() async throws {
        try await self.run(onListening: { _ in })
    }

    /// Binds, serves until graceful shutdown (``shutDown(gracePeriod:)``, or its
    /// `ServiceGroup`'s), then returns.
    ///
    /// The server's event loops (``RPCServerConfiguration/eventLoopThreads`` threads) start
    /// here and stop before this returns.
    ///
    /// - Parameter onListening: Called with the bound port once the server accepts
    ///   connections (useful when the configured port is 0).
    package func run(onListening: @Sendable (Int) -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, self.configuration.eventLoopThreads))
        do {
            try await withGracefulShutdownHandler {
                try await self.serve(on: group, onListening: onListening)
            } onGracefulShutdown: {
                self.shutDown()
            }
        } catch {
            self.cancelGraceTimer()
            try? await Self.stop(group, after: self.services.tasks, timeout: .seconds(10), logger: self.logger)
            throw error
        }
        self.cancelGraceTimer()
        try await Self.stop(group, after: self.services.tasks, timeout: .seconds(10), logger: self.logger)
    }

    /// Marks the loops as stopping and cancels the grace-period timer, if one was scheduled:
    /// from here on ``shutDown(gracePeriod:)`` schedules nothing on them.
    private func cancelGraceTimer() {
        let timer = self.listening.withLock { listening -> Scheduled<Void>? in
            listening.loopsStopping = true
            defer { listening.graceTimer = nil }
            return listening.graceTimer
        }
        timer?.cancel()
    }

    private func serve(on group: MultiThreadedEventLoopGroup, onListening: @Sendable (Int) -> Void) async throws {
        let services = self.services
        let connections = self.connections
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard connections.add(channel, limit: services.configuration.maxConnections) else {
                    return channel.close()
                }
                services.metrics.connectionOpened()
                channel.closeFuture.whenComplete { _ in services.metrics.connectionClosed() }
                return channel.eventLoop.makeCompletedFuture {
                    try Self.installConnectionHandlers(on: channel, services: services)
                }
            }
            .bind(host: self.configuration.host, port: self.configuration.port)
            .get()
        let shutDownAlready = self.listening.withLock { listening in
            listening.channel = channel
            return listening.shutDownRequested
        }
        if shutDownAlready {
            // Shutdown began while the listener was being bound.
            self.shutDown()
        }
        let port = channel.localAddress?.port ?? self.configuration.port
        self.logger.info("listening", metadata: ["host": "\(self.configuration.host)", "port": "\(port)"])
        self.health.setStatus(.serving, forService: "")
        for service in self.services.router.serviceNames {
            self.health.setStatus(.serving, forService: service)
        }
        onListening(port)
        try await channel.closeFuture.get()
        self.logger.info("stopped listening")
        await self.waitForConnections()
    }

    /// Stops the event loops once the handler tasks that run on them have ended. A task that
    /// has not ended within `timeout` (a handler ignoring cancellation) keeps the loops alive:
    /// stopping them would strand it.
    private static func stop(
        _ group: MultiThreadedEventLoopGroup, after tasks: HandlerTasks, timeout: Duration, logger: Logger
    ) async throws {
        guard await tasks.waitUntilDrained(timeout: timeout) else {
            logger.warning("handler tasks still running after the shutdown timeout; event loops kept")
            return
        }
        try await group.shutdownGracefully()
    }

    /// Begins a graceful shutdown: marks every service `NOT_SERVING`, stops accepting
    /// connections, sends GOAWAY on HTTP/2 connections and lets in-flight calls finish; after
    /// `gracePeriod` the remaining connections are closed. ``run(onListening:)`` returns when
    /// every connection is closed.
    ///
    /// - Parameter gracePeriod: How long in-flight calls may take to finish.
    package func shutDown(gracePeriod: Duration = .seconds(10)) {
        self.health.setAll(.notServing)
        self.connections.stopAccepting()
        let listener = self.listening.withLock { listening in
            listening.shutDownRequested = true
            return listening.channel
        }
        listener?.close(promise: nil)
        for connection in self.connections.open {
            connection.pipeline.fireUserInboundEventTriggered(GracefulShutdownEvent())
        }
        let connections = self.connections
        guard let listener else {
            return
        }
        self.listening.withLock { listening in
            guard !listening.loopsStopping, listening.graceTimer == nil else { return }
            listening.graceTimer = listener.eventLoop.scheduleTask(in: TimeAmount(gracePeriod)) {
                for connection in connections.open {
                    connection.close(promise: nil)
                }
            }
        }
    }

    private func waitForConnections() async {
        for connection in self.connections.open {
            try? await connection.closeFuture.get()
        }
    }
}
