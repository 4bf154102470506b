internal import RPCServer

/// Carries HTTP headers into call metadata and response metadata back out, so a handler and its
/// interceptors see the same names on both faces.
enum CallMetadata {
    /// Request headers that become metadata under their own name.
    private static let passedHeaders: [String] = [
        "x-api-key", "x-admin-key", "x-tenant-id", "authorization", "last-event-id", "user-agent",
        "idempotency-key",
    ]

    /// Headers a handler's metadata may not set on an HTTP response.
    private static let reservedResponseHeaders: Set<String> = [
        "content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "x-request-id",
    ]

    /// The call metadata of a REST request: auth headers, `Grpc-Metadata-*` (prefix removed;
    /// `-bin` values base64-decoded) and the request id.
    ///
    /// - Parameters:
    ///   - headers: The request headers.
    ///   - requestID: The request's id.
    static func requestMetadata(from headers: [(name: String, value: String)], requestID: String) -> Metadata {
        var metadata = Metadata()
        for (name, value) in headers {
            if let passed = Self.passedHeaders.first(where: { HeaderName.matches(name, $0) }) {
                metadata.addString(value, forKey: passed)
            } else if name.utf8.count > "grpc-metadata-".utf8.count,
                HeaderName.matches(
                    String(name.prefix("grpc-metadata-".count)), "grpc-metadata-")
            {
                let key = String(name.dropFirst("grpc-metadata-".count)).lowercased()
                guard !key.isEmpty else { continue }
                if key.hasSuffix("-bin") {
                    if let bytes = Base64.decode(value) { metadata.addBinary(bytes, forKey: key) }
                } else {
                    metadata.addString(value, forKey: key)
                }
            }
        }
        metadata.addString(requestID, forKey: "x-request-id")
        return metadata
    }

    /// The response headers a handler asked for through its initial and trailing metadata.
    ///
    /// - Parameter response: The call's response metadata.
    static func headers(from metadata: Metadata) -> [(name: String, value: String)] {
        metadata.compactMap { element in
            guard case .string(let value) = element.value, !element.key.hasPrefix("grpc-"),
                !Self.reservedResponseHeaders.contains(element.key)
            else { return nil }
            return (element.key, value)
        }
    }
}
