/// What serves an accepted WebSocket upgrade: extra handshake response headers and the handler
/// that runs for the session's lifetime.
package struct WebSocketRoute: Sendable {
    /// Serves one session; runs in its own task once the handshake is answered.
    ///
    /// Returning closes the session with 1000 (normal closure), throwing closes it with 1011
    /// (internal error; the error's text is not sent). When the client disconnects, the task is
    /// cancelled.
    package typealias Handler = @Sendable (WebSocketSession) async throws -> Void

    /// Header fields added to the `101 Switching Protocols` response, e.g.
    /// `Sec-WebSocket-Protocol` or `x-request-id`.
    package var responseHeaders: [(name: String, value: String)]
    /// Serves the session.
    package var handler: Handler

    /// Creates a route.
    ///
    /// - Parameters:
    ///   - responseHeaders: Header fields for the handshake response.
    ///   - handler: Serves the session.
    package init(responseHeaders: [(name: String, value: String)] = [], handler: @escaping Handler) {
        self.responseHeaders = responseHeaders
        self.handler = handler
    }
}
