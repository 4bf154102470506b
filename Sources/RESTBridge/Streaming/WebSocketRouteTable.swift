package import RPCServer

/// Hand-written WebSocket routes matched by exact path, e.g. the chat widget's live channel.
///
/// The server asks the table about every HTTP/1.1 WebSocket handshake; a path with no route
/// falls through to the HTTP responder (which answers 404). The `101` response carries
/// `x-request-id` like every other response, echoed when the client sent a sane one.
///
/// ```swift
/// var sockets = WebSocketRouteTable()
/// sockets.add("/v1/ws/echo") { session, _ in
///     for try await message in session.messages { try await session.send(message) }
/// }
/// let server = RPCServer(configuration: .defaults, responder: routes, webSockets: sockets, logger: logger)
/// ```
package struct WebSocketRouteTable: WebSocketResponder {
    /// Serves one session. Gets the session and the upgrade request (whose `x-request-id` is the
    /// one answered in the handshake); returning closes with 1000, throwing with 1011.
    package typealias Handler = @Sendable (WebSocketSession, HTTPRequest) async throws -> Void

    private var routes: [String: Handler]

    /// Creates an empty table.
    package init() {
        self.routes = [:]
    }

    /// Adds a route, replacing one with the same path.
    ///
    /// - Parameters:
    ///   - path: The exact path, e.g. `/v1/ws/echo`; the query string is not part of it.
    ///   - handler: Serves each session.
    package mutating func add(_ path: String, handler: @escaping Handler) {
        self.routes[path] = handler
    }

    /// The registered paths, sorted.
    package var paths: [String] {
        self.routes.keys.sorted()
    }

    package func route(for request: HTTPRequest) -> WebSocketRoute? {
        guard let handler = self.routes[String(request.path)] else { return nil }
        let requestID = request.header("x-request-id").flatMap(RequestID.validated) ?? RequestID.generate()
        var request = request
        request.headers.removeAll { HeaderName.matches($0.name, "x-request-id") }
        request.headers.append(("x-request-id", requestID))
        let upgradeRequest = request
        return WebSocketRoute(responseHeaders: [("x-request-id", requestID)]) { session in
            try await handler(session, upgradeRequest)
        }
    }
}
