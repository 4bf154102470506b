/// Sends requests to Meta's Graph API (`META_GRAPH_BASE_URL`, `META_GRAPH_API_VERSION`): the
/// ``OutboundGraphAPITransport`` in `serve`, a scripted stand-in in unit tests.
package protocol GraphAPITransport: Sendable {
    /// Sends one request and answers Meta's response.
    ///
    /// - Parameters:
    ///   - method: `GET` or `POST`.
    ///   - path: The path after the version, e.g. `123456/messages` (no leading slash).
    ///   - accessToken: The token sent as `Authorization: Bearer`.
    ///   - body: A JSON body for `POST`.
    /// - Throws: ``GraphAPIFailure`` when no response came (connect error, timeout).
    func send(method: String, path: String, accessToken: String, body: [UInt8]?) async throws -> GraphAPIResponse
}

/// What the Graph API answered.
package struct GraphAPIResponse: Sendable {
    /// The HTTP status.
    package var statusCode: Int
    /// The body (at most ``maximumBodyBytes`` kept).
    package var body: [UInt8]
    /// How long Meta asks the caller to wait before the next call (``GraphRateLimitHint``), if it
    /// says.
    package var retryAfter: Duration?

    /// The most body bytes kept.
    package static let maximumBodyBytes = 65_536

    /// A response.
    package init(statusCode: Int, body: [UInt8], retryAfter: Duration? = nil) {
        self.statusCode = statusCode
        self.body = body
        self.retryAfter = retryAfter
    }
}

/// A Graph API request that got no response.
package struct GraphAPIFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong, e.g. "connect timeout".
    package var description: String

    /// A failure.
    package init(_ description: String) {
        self.description = description
    }
}
