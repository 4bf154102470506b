package import AsyncHTTPClient
internal import NIOCore

/// Sends a model request and answers its streaming response: the seam between the provider
/// clients and the outbound HTTP client (which checks tenant-supplied hosts against the egress
/// policy at connect time).
package protocol ModelHTTPTransport: Sendable {
    /// Sends `request`.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - tenantSupplied: Whether the URL came from a tenant (checked against the egress policy)
    ///     rather than the server's configuration.
    ///   - timeout: The whole request's limit (the caller enforces tighter ones).
    /// - Returns: The response, its body still streaming.
    func execute(_ request: HTTPClientRequest, tenantSupplied: Bool, timeout: Duration) async throws
        -> HTTPClientResponse
}

/// A ``ModelHTTPTransport`` straight over an `HTTPClient`, without an egress check (tests and
/// operator-configured endpoints).
package struct DirectModelHTTPTransport: ModelHTTPTransport {
    private let http: HTTPClient

    /// Creates the transport.
    ///
    /// - Parameter http: The client (owned and shut down by the caller).
    package init(http: HTTPClient) {
        self.http = http
    }

    package func execute(_ request: HTTPClientRequest, tenantSupplied: Bool, timeout: Duration) async throws
        -> HTTPClientResponse
    {
        let milliseconds = max(
            1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await self.http.execute(request, timeout: .milliseconds(milliseconds))
    }
}
