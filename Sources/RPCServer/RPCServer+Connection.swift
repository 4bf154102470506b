package import NIOCore

extension RPCServer {
    /// Installs the handlers every accepted connection starts with: the idle timer, then the
    /// protocol sniffer, which reads the first bytes and installs the HTTP/2 (nghttp2) or the
    /// HTTP/1.1 pipeline with this server's router, responder and limits.
    ///
    /// The listener does this for each accepted socket. It is `package` so that the fuzz
    /// targets (`Tests/Fuzz`) can put the very same pipeline on an in-memory channel.
    ///
    /// - Parameter channel: A new connection's channel; call on its event loop.
    /// - Throws: When a handler cannot be added (the channel is closed).
    package func installConnectionHandlers(on channel: any Channel) throws {
        try Self.installConnectionHandlers(on: channel, services: self.services)
    }

    /// How many handler tasks (calls, HTTP responders, streamed bodies, WebSocket sessions) are
    /// running. Once every connection has closed and its event loop has run, it is 0; the fuzz
    /// targets check that after every input.
    package var runningHandlerTasks: Int {
        self.services.tasks.running
    }

    /// Installs a connection's first handlers for the given services.
    static func installConnectionHandlers(on channel: any Channel, services: ServerServices) throws {
        let idle = TimeAmount(services.configuration.idleTimeout)
        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
        try channel.pipeline.syncOperations.addHandler(ProtocolSniffingHandler(services: services))
    }
}
