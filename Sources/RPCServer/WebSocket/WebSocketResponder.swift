/// Decides which HTTP/1.1 upgrade requests become WebSocket sessions; the REST bridge's
/// `WebSocketRouteTable` implements it, the server calls it.
///
/// The server asks only about requests that carry a WebSocket upgrade handshake (`GET` with
/// `Upgrade: websocket` and `Connection: upgrade`). A request for which ``route(for:)`` returns
/// `nil` goes to the ``HTTPResponder`` unchanged, which typically answers 404.
///
/// WebSockets over HTTP/2 (RFC 8441 extended CONNECT) are not served: browsers and proxies fall
/// back to HTTP/1.1 for them.
package protocol WebSocketResponder: Sendable {
    /// The route serving `request`, or `nil` when its path is no WebSocket route.
    ///
    /// Called on the connection's event loop before the handshake is answered: it must not block
    /// (a dictionary lookup, not a database query; authenticate inside the handler instead).
    ///
    /// - Parameter request: The upgrade request: method, target, headers and peer; no body.
    /// - Returns: The route, or `nil`.
    func route(for request: HTTPRequest) -> WebSocketRoute?
}
