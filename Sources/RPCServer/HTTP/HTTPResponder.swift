/// Answers HTTP requests; the REST bridge implements it, transports call it.
package protocol HTTPResponder: Sendable {
    /// Produces the response to one request. Never throws: errors become error responses.
    ///
    /// - Parameter request: The request.
    /// - Returns: The response.
    func respond(to request: HTTPRequest) async -> HTTPResponse

    /// The largest request body accepted for a request, or `nil` for the server's default.
    ///
    /// Transports ask before reading the body, so an oversized upload is refused with 413
    /// without being buffered.
    ///
    /// - Parameters:
    ///   - method: The method in upper case.
    ///   - target: The path and query.
    func maxBodyBytes(method: String, target: String) -> Int?

    /// Whether the body of a request reaches the responder as it arrives
    /// (``HTTPRequest/bodyStream``) rather than whole: uploads larger than memory should hold.
    ///
    /// The transport then calls ``respond(to:)`` once the head has arrived and hands over body
    /// bytes as the responder reads them, reading no further ahead than about a megabyte; the
    /// body limit still applies (413 once passed). A response given before the body has ended
    /// ends the request: the rest of the body is read and dropped, or the stream is reset.
    ///
    /// - Parameters:
    ///   - method: The method in upper case.
    ///   - target: The path and query.
    func streamsRequestBody(method: String, target: String) -> Bool
}

extension HTTPResponder {
    /// The server's default limit applies.
    package func maxBodyBytes(method: String, target: String) -> Int? { nil }

    /// Bodies arrive whole.
    package func streamsRequestBody(method: String, target: String) -> Bool { false }
}
