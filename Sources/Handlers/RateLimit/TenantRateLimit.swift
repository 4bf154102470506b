/// A tenant's rate-limit settings (`settings.rate_limit` in `tenants`): requests per window and
/// the window in seconds, each `nil` or 0 for the server default.
///
/// The authentication interceptor attaches it to the call context (``TenantRateLimitKey``) for the
/// rate-limit interceptor.
package struct TenantRateLimit: Sendable, Equatable {
    /// Requests allowed per window; `nil` or 0 for the server default.
    package var requestsPerWindow: Int?
    /// The window in seconds; `nil` or 0 for the server default.
    package var windowSeconds: Int?

    /// Creates settings.
    ///
    /// - Parameters:
    ///   - requestsPerWindow: Requests per window, `nil` for the default.
    ///   - windowSeconds: Window in seconds, `nil` for the default.
    package init(requestsPerWindow: Int? = nil, windowSeconds: Int? = nil) {
        self.requestsPerWindow = requestsPerWindow
        self.windowSeconds = windowSeconds
    }
}
