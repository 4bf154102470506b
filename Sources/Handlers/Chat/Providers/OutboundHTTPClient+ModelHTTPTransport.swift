package import AsyncHTTPClient

extension OutboundHTTPClient: ModelHTTPTransport {
    /// Sends a model request: a tenant's base URL goes through the egress check at connect time
    /// (plain `http` only inside `OUTBOUND_ALLOW_CIDRS`), the server's own is trusted.
    package func execute(_ request: HTTPClientRequest, tenantSupplied: Bool, timeout: Duration) async throws
        -> HTTPClientResponse
    {
        try await self.execute(
            request, destination: tenantSupplied ? .tenantSupplied(requireHTTPS: true) : .operatorConfigured,
            timeout: timeout)
    }
}
