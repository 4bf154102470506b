/// How many requests a caller may make per window.
package struct RateLimitPolicy: Sendable, Equatable {
    /// Requests allowed per window (at least 1).
    package var requests: Int
    /// The window's length in milliseconds (at least 1).
    package var windowMilliseconds: Int

    /// The most requests a window may allow.
    package static let maximumRequests = 1_000_000_000
    /// The longest window, in milliseconds: one day.
    package static let maximumWindowMilliseconds = 86_400_000

    /// Creates a policy; values are clamped to `1...maximumRequests` and
    /// `1...maximumWindowMilliseconds`, so arithmetic on them (rates, keys) cannot overflow.
    ///
    /// - Parameters:
    ///   - requests: Requests allowed per window.
    ///   - windowMilliseconds: The window's length in milliseconds.
    package init(requests: Int, windowMilliseconds: Int) {
        self.requests = min(max(1, requests), Self.maximumRequests)
        self.windowMilliseconds = min(max(1, windowMilliseconds), Self.maximumWindowMilliseconds)
    }

    /// The deployment default: 100 requests per 60 s.
    package static let standard = RateLimitPolicy(requests: 100, windowMilliseconds: 60_000)

    /// The default policy from `RATE_LIMIT_MAX_REQUESTS` (1–1,000,000,000) and
    /// `RATE_LIMIT_WINDOW_MS` (1–86,400,000); an unset or empty variable keeps the value of
    /// ``standard``.
    ///
    /// - Parameter environment: The process environment.
    /// - Throws: ``RateLimitPolicyError`` naming the variable whose value is not a number in range.
    package static func fromEnvironment(_ environment: [String: String]) throws(RateLimitPolicyError) -> RateLimitPolicy
    {
        RateLimitPolicy(
            requests: try Self.number(
                "RATE_LIMIT_MAX_REQUESTS", in: environment, range: 1...1_000_000_000, default: Self.standard.requests),
            windowMilliseconds: try Self.number(
                "RATE_LIMIT_WINDOW_MS", in: environment, range: 1...86_400_000,
                default: Self.standard.windowMilliseconds)
        )
    }

    private static func number(
        _ variable: String,
        in environment: [String: String],
        range: ClosedRange<Int>,
        default value: Int
    ) throws(RateLimitPolicyError) -> Int {
        guard let text = environment[variable], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw RateLimitPolicyError(
                variable: variable,
                problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'")
        }
        return number
    }

    /// The policy for a tenant: its settings where they are set, `self` where they are not.
    /// Settings come from stored JSON: out-of-range values are clamped, never trusted.
    ///
    /// - Parameter tenant: The tenant's rate-limit settings.
    package func applying(_ tenant: TenantRateLimit) -> RateLimitPolicy {
        RateLimitPolicy(
            requests: tenant.requestsPerWindow.flatMap { $0 > 0 ? $0 : nil } ?? self.requests,
            windowMilliseconds: tenant.windowSeconds.flatMap { seconds in
                seconds > 0 ? Int(clamping: Int128(seconds) * 1000) : nil
            } ?? self.windowMilliseconds
        )
    }
}
