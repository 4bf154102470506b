/// What every connection of a server needs: the RPC router, the HTTP responder for the REST
/// face, interceptors and limits. Shared, immutable.
struct ServerServices: Sendable {
    /// The gRPC methods.
    var router: RPCRouter
    /// Answers plain HTTP requests (REST, health, metrics).
    var responder: any HTTPResponder
    /// Routes WebSocket handshakes on HTTP/1.1; `nil` serves none.
    var webSockets: (any WebSocketResponder)?
    /// Runs around every gRPC call, in order.
    var interceptors: [any ServerInterceptor]
    /// The server's limits.
    var configuration: RPCServerConfiguration
    /// Where measurements go.
    var metrics: any RPCServerMetrics
}
