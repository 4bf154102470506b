/// How many requests a caller may make per window.
public struct RateLimitPolicy: Sendable, Equatable {
    /// Requests allowed per window (at least 1).
    public var requests: Int
    /// The window's length in milliseconds (at least 1).
    public var windowMilliseconds: Int

    /// Creates a policy; values below 1 are raised to 1.
    ///
    /// - Parameters:
    ///   - requests: Requests allowed per window.
    ///   - windowMilliseconds: The window's length in milliseconds.
    public init(requests: Int, windowMilliseconds: Int) {
        self.requests = max(1, requests)
        self.windowMilliseconds = max(1, windowMilliseconds)
    }

    /// The deployment default: 100 requests per 60 s.
    public static let standard = RateLimitPolicy(requests: 100, windowMilliseconds: 60_000)

    /// The default policy from `RATE_LIMIT_MAX_REQUESTS` and `RATE_LIMIT_WINDOW_MS`; a missing or
    /// non-positive value keeps the value of ``standard``.
    ///
    /// - Parameter environment: The process environment.
    public static func fromEnvironment(_ environment: [String: String]) -> RateLimitPolicy {
        let requests = environment["RATE_LIMIT_MAX_REQUESTS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        let window = environment["RATE_LIMIT_WINDOW_MS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        return RateLimitPolicy(
            requests: requests ?? Self.standard.requests,
            windowMilliseconds: window ?? Self.standard.windowMilliseconds
        )
    }

    /// The policy for a tenant: its settings where they are set, `self` where they are not.
    ///
    /// - Parameter tenant: The tenant's rate-limit settings.
    public func applying(_ tenant: TenantRateLimit) -> RateLimitPolicy {
        RateLimitPolicy(
            requests: tenant.requestsPerWindow.flatMap { $0 > 0 ? $0 : nil } ?? self.requests,
            windowMilliseconds: tenant.windowSeconds.flatMap { $0 > 0 ? $0 * 1000 : nil } ?? self.windowMilliseconds
        )
    }
}
