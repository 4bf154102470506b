/// The answer of a rate limiter to one request.
package struct RateLimitDecision: Sendable, Equatable {
    /// Whether the request may run.
    package var allowed: Bool
    /// Requests allowed per window.
    package var limit: Int
    /// Requests still allowed right now.
    package var remaining: Int
    /// Milliseconds until the caller's allowance is full again.
    package var resetMilliseconds: Int
    /// Milliseconds until a refused request may be retried; 0 when allowed.
    package var retryAfterMilliseconds: Int

    /// The `retry-after` header's value: ``retryAfterMilliseconds`` in whole seconds, rounded up,
    /// at least 1.
    var retryAfterSeconds: Int {
        // Divided before rounding up, so a stored time near Int.max cannot overflow.
        let (seconds, rest) = self.retryAfterMilliseconds.quotientAndRemainder(dividingBy: 1000)
        return max(1, seconds + (rest > 0 ? 1 : 0))
    }

    /// Creates a decision.
    ///
    /// - Parameters:
    ///   - allowed: Whether the request may run.
    ///   - limit: Requests per window.
    ///   - remaining: Requests still allowed.
    ///   - resetMilliseconds: Time until the allowance is full.
    ///   - retryAfterMilliseconds: Time until a refused request may be retried.
    package init(allowed: Bool, limit: Int, remaining: Int, resetMilliseconds: Int, retryAfterMilliseconds: Int) {
        self.allowed = allowed
        self.limit = limit
        self.remaining = remaining
        self.resetMilliseconds = resetMilliseconds
        self.retryAfterMilliseconds = retryAfterMilliseconds
    }

    /// Computes a decision with the generic cell rate algorithm (GCRA): each request moves the
    /// caller's theoretical arrival time (`tat`) one emission interval (`window / limit`) later;
    /// a request is refused when that would put `tat` more than one window ahead of now. This is
    /// what the Redis script computes, so the local fallback behaves the same.
    ///
    /// - Parameters:
    ///   - tat: The stored theoretical arrival time in milliseconds, or `nil` for a new caller.
    ///   - now: The current time in milliseconds.
    ///   - policy: The limit.
    /// - Returns: The decision and the `tat` to store (unchanged when refused).
    package static func gcra(tat: Double?, now: Double, policy: RateLimitPolicy) -> (Self, Double?) {
        let window = Double(policy.windowMilliseconds)
        let interval = window / Double(policy.requests)
        let current = max(tat ?? now, now)
        let next = current + interval
        let allowAt = next - window
        if allowAt > now {
            let decision = RateLimitDecision(
                allowed: false, limit: policy.requests, remaining: 0,
                resetMilliseconds: Int((current - now).rounded(.up)),
                retryAfterMilliseconds: max(1, Int((allowAt - now).rounded(.up))))
            return (decision, tat)
        }
        let decision = RateLimitDecision(
            allowed: true, limit: policy.requests,
            remaining: max(0, Int(((window - (next - now)) / interval).rounded(.down))),
            resetMilliseconds: Int((next - now).rounded(.up)), retryAfterMilliseconds: 0)
        return (decision, next)
    }
}
