/// An HTTP request as routes see it, whichever protocol carried it.
package struct HTTPRequest: Sendable {
    /// The method in upper case, e.g. `GET`.
    package var method: String
    /// The request target: path and query, e.g. `/api/tenants?pageSize=10`.
    package var target: String
    /// The header fields in arrival order; names as sent.
    package var headers: [(name: String, value: String)]
    /// The body bytes; empty when the body streams (``bodyStream``).
    package var body: [UInt8]
    /// The body as it arrives, for routes whose responder streams request bodies
    /// (``HTTPResponder/streamsRequestBody(method:target:)``): chunks in order, finishing at the
    /// body's end and throwing when the client goes away or the transport refuses the rest.
    /// Read it at most once. `nil` when the body arrived whole in ``body``.
    package var bodyStream: RPCAsyncSequence<[UInt8]>?
    /// The remote peer, e.g. `127.0.0.1:52144`.
    package var peer: String
    /// The connection peer's address (``peer`` without its port).
    package var peerAddress: ClientAddress

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - method: The method.
    ///   - target: The path and query.
    ///   - headers: The header fields.
    ///   - body: The body.
    ///   - peer: The remote peer.
    ///   - peerAddress: The peer's address; read from `peer` when not given.
    package init(
        method: String,
        target: String,
        headers: [(name: String, value: String)],
        body: [UInt8],
        peer: String,
        peerAddress: ClientAddress? = nil
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.bodyStream = nil
        self.peer = peer
        self.peerAddress = peerAddress ?? ClientAddress(peer: peer) ?? .unknown
    }

    /// The path without the query string.
    package var path: Substring {
        self.target[..<(self.target.firstIndex(of: "?") ?? self.target.endIndex)]
    }

    /// The first value of a header, compared case-insensitively.
    ///
    /// - Parameter name: The header name.
    package func header(_ name: String) -> String? {
        let lowered = name.lowercased()
        return self.headers.first { HeaderName.matches($0.name, lowered) }?.value
    }
}
