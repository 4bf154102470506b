/// What every connection of a server needs: the RPC router (each method with its interceptors),
/// the HTTP responder for the REST face, and limits. Shared, immutable.
struct ServerServices: Sendable {
    /// The gRPC methods, each with its interceptor chain (``RPCRouter/intercepted(by:)``).
    var router: RPCRouter
    /// Answers plain HTTP requests (REST, health, metrics).
    var responder: any HTTPResponder
    /// Routes WebSocket handshakes on HTTP/1.1; `nil` serves none.
    var webSockets: (any WebSocketResponder)?
    /// The server's limits.
    var configuration: RPCServerConfiguration
    /// Finds each call's client from its peer and trusted proxies' headers.
    var clientAddresses: ClientAddressResolver {
        ClientAddressResolver(trustedProxies: self.configuration.trustedProxies)
    }
    /// Where measurements go.
    var metrics: any RPCServerMetrics
    /// The handler tasks running, which shutdown waits for before it stops the event loops.
    var tasks = HandlerTasks()
}
