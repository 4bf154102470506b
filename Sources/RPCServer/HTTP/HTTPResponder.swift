/// Answers HTTP requests; the REST bridge implements it, transports call it.
public protocol HTTPResponder: Sendable {
    /// Produces the response to one request. Never throws: errors become error responses.
    ///
    /// - Parameter request: The request.
    /// - Returns: The response.
    func respond(to request: HTTPRequest) async -> HTTPResponse
}
