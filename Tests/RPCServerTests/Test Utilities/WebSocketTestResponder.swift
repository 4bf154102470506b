import RPCServer

/// Routes WebSocket handshakes by exact path to fixed routes, for servers under test.
struct WebSocketTestResponder: WebSocketResponder {
    /// The routes by path.
    var routes: [String: WebSocketRoute]

    func route(for request: HTTPRequest) -> WebSocketRoute? {
        self.routes[String(request.path)]
    }
}
