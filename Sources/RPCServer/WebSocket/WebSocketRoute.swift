/// What serves an accepted WebSocket upgrade: extra handshake response headers and the handler
/// that runs for the session's lifetime.
package struct WebSocketRoute: Sendable {
    /// Serves one session; runs in its own task once the handshake is answered.
    ///
    /// Returning closes the session with 1000 (normal closure), throwing closes it with 1011
    /// (internal error; the error's text is not sent). When the client disconnects, the task is
    /// cancelled.
    package typealias Handler = @Sendable (WebSocketSession) async throws -> Void

    /// Decides, before the handshake is answered, whether the upgrade may go ahead: `nil` lets it,
    /// a response refuses it (sent instead of the `101`, then the connection closes). It may
    /// wait (a database lookup); the connection reads nothing meanwhile.
    package typealias Admission = @Sendable (HTTPRequest) async -> HTTPResponse?

    /// Header fields added to the `101 Switching Protocols` response, e.g.
    /// `Sec-WebSocket-Protocol` or `x-request-id`.
    package var responseHeaders: [(name: String, value: String)]
    /// Serves the session.
    package var handler: Handler
    /// Checks the upgrade request first (e.g. its `Origin`); `nil`: every handshake is answered.
    package var admission: Admission?

    /// Creates a route.
    ///
    /// - Parameters:
    ///   - responseHeaders: Header fields for the handshake response.
    ///   - admission: Checks the upgrade request before the handshake is answered.
    ///   - handler: Serves the session.
    package init(
        responseHeaders: [(name: String, value: String)] = [], admission: Admission? = nil,
        handler: @escaping Handler
    ) {
        self.responseHeaders = responseHeaders
        self.admission = admission
        self.handler = handler
    }
}
