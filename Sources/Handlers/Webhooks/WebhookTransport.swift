/// Sends one webhook request: the HTTP part of a delivery attempt, apart so tests can observe
/// attempts and the server can route them through its egress guard.
package protocol WebhookTransport: Sendable {
    /// POSTs `body` to `url` with `headers` and answers the response, reading at most
    /// ``WebhookResponse/maximumBodyBytes`` of its body.
    ///
    /// - Parameters:
    ///   - url: The endpoint's URL.
    ///   - headers: The request headers (content type and the Standard Webhooks headers).
    ///   - body: The JSON body.
    ///   - timeout: The whole exchange's limit.
    /// - Throws: ``WebhookTransportError`` when no response came.
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async throws
        -> WebhookResponse
}

/// A receiver's answer, as much of it as a delivery keeps.
package struct WebhookResponse: Sendable, Hashable {
    /// How much of a response body is kept.
    package static let maximumBodyBytes = 1024

    /// The HTTP status.
    package var statusCode: Int
    /// The `retry-after` header, if any.
    package var retryAfter: String?
    /// The first ``maximumBodyBytes`` of the body, as text (invalid UTF-8 repaired).
    package var bodyPrefix: String

    /// Creates a response.
    package init(statusCode: Int, retryAfter: String?, bodyPrefix: String) {
        self.statusCode = statusCode
        self.retryAfter = retryAfter
        self.bodyPrefix = bodyPrefix
    }
}

/// Why no response came: connect error, timeout, refused destination.
package struct WebhookTransportError: Error, Sendable, CustomStringConvertible {
    /// What happened, for the delivery log (names no secret).
    package var description: String
    /// Whether trying again may help (connect errors, timeouts), or not (a refused destination).
    package var retryable: Bool

    /// Creates an error.
    package init(_ description: String, retryable: Bool) {
        self.description = description
        self.retryable = retryable
    }
}
