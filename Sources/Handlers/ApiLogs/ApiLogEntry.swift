package import RPCServer

/// One API call as the API log keeps it: recorded on the request path (a few words copied, no
/// formatting), written to `api_logs` later in a batch.
package struct ApiLogEntry: Sendable {
    /// When the call arrived, in microseconds since 1970 (UTC).
    package var occurredAtMicros: Int64
    /// The tenant the call acted for, if any (a tenant key's, or an admin's `x-tenant-id`).
    package var tenantID: String?
    /// The API key that made the call, if one did.
    package var keyID: String?
    /// The method's path, e.g. `/metachat.v1.TenantService/GetTenant`.
    package var method: String
    /// How the call reached the server.
    package var transport: CallTransport
    /// The status it ended with.
    package var code: RPCError.Code
    /// From the call's start to its status.
    package var latency: Duration
    /// The request id.
    package var requestID: String
    /// The client's address, after trusted proxies.
    package var clientAddress: ClientAddress

    /// An entry.
    package init(
        occurredAtMicros: Int64, tenantID: String?, keyID: String?, method: String, transport: CallTransport,
        code: RPCError.Code, latency: Duration, requestID: String, clientAddress: ClientAddress
    ) {
        self.occurredAtMicros = occurredAtMicros
        self.tenantID = tenantID
        self.keyID = keyID
        self.method = method
        self.transport = transport
        self.code = code
        self.latency = latency
        self.requestID = requestID
        self.clientAddress = clientAddress
    }
}
