/// Which browser origins may call the API (`API_CORS_ORIGINS`), and the headers that say so.
///
/// A request with an `Origin` outside the list is refused with 403; requests without `Origin`
/// (curl, servers) are not affected.
package struct CORSPolicy: Sendable {
    /// Exact origins such as `https://dashboard.example.com`; `*` allows every origin.
    package var allowedOrigins: [String]
    /// How long browsers may cache a preflight answer, in seconds.
    package var maxAgeSeconds: Int

    /// The request headers browsers may send: content type, our auth headers, request ids and
    /// SSE resume.
    static let allowedHeaders =
        "content-type, authorization, x-api-key, x-admin-key, x-tenant-id, x-request-id, last-event-id, idempotency-key"
    /// The response headers browser code may read.
    static let exposedHeaders =
        "x-request-id, retry-after, ratelimit-limit, ratelimit-remaining, ratelimit-reset, ratelimit-policy"
    static let allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - allowedOrigins: The allowed origins.
    ///   - maxAgeSeconds: The preflight cache lifetime.
    package init(allowedOrigins: [String], maxAgeSeconds: Int = 600) {
        self.allowedOrigins = allowedOrigins
        self.maxAgeSeconds = maxAgeSeconds
    }

    /// Reads a comma-separated list such as `API_CORS_ORIGINS`.
    ///
    /// - Parameter list: The list; empty allows no cross-origin calls.
    package init(list: String) {
        self.init(
            allowedOrigins: list.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }.filter {
                !$0.isEmpty
            })
    }

    /// Whether the origin may call.
    ///
    /// - Parameter origin: The `Origin` header.
    package func allows(_ origin: String) -> Bool {
        self.allowedOrigins.contains("*") || self.allowedOrigins.contains(origin)
    }

    /// Headers for an allowed actual request.
    func responseHeaders(origin: String) -> [(name: String, value: String)] {
        [
            ("access-control-allow-origin", origin),
            ("access-control-expose-headers", Self.exposedHeaders),
            ("vary", "origin"),
        ]
    }

    /// Headers for an allowed preflight.
    func preflightHeaders(origin: String) -> [(name: String, value: String)] {
        [
            ("access-control-allow-origin", origin),
            ("access-control-allow-methods", Self.allowedMethods),
            ("access-control-allow-headers", Self.allowedHeaders),
            ("access-control-max-age", String(self.maxAgeSeconds)),
            ("vary", "origin"),
        ]
    }
}
