/// An HTTP response a route produces.
package struct HTTPResponse: Sendable {
    /// The status code, e.g. 200.
    package var status: Int
    /// The header fields; `content-length` is added by the transport.
    package var headers: [(name: String, value: String)]
    /// The body bytes (sent first when ``bodyStream`` is also set).
    package var body: [UInt8]
    /// More body bytes that arrive over time (server streams); the response ends when the
    /// sequence finishes. Sent chunked on HTTP/1.1 and as DATA frames on HTTP/2.
    package var bodyStream: RPCAsyncSequence<[UInt8]>?

    /// Creates a response.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: The header fields.
    ///   - body: The body.
    package init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyStream = nil
    }

    /// A response with a JSON body.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - json: The UTF-8 JSON text.
    /// - Returns: The response with `content-type: application/json`.
    package static func json(status: Int, _ json: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("content-type", "application/json")], body: Array(json.utf8))
    }
}
