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
}

extension HTTPResponder {
    /// The server's default limit applies.
    package func maxBodyBytes(method: String, target: String) -> Int? { nil }
}
