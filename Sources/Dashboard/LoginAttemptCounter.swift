package import Handlers

/// Counts sign-in attempts against a limit: the shared Redis ``RateLimiter`` in `serve`.
package protocol LoginAttemptCounter: Sendable {
    /// Counts one attempt of `subject` and says whether it is within `policy`.
    func check(subject: String, policy: RateLimitPolicy) async -> RateLimitDecision
}

extension RateLimiter: LoginAttemptCounter {}
