/// When a failed delivery is tried again: exponential backoff from ``initialDelay`` (doubling per
/// attempt), ``jitter`` either way, at most ``maximumDelay``, and at least what the receiver asked
/// for in `retry-after` (still capped), up to ``maximumAttempts`` attempts in all.
package struct WebhookRetryPolicy: Sendable, Hashable {
    /// Attempts per delivery, the first included (`WEBHOOK_RETRY_MAX_ATTEMPTS`). Default 5.
    package var maximumAttempts: Int
    /// The delay after the first failed attempt (`WEBHOOK_RETRY_INITIAL_DELAY_MS`). Default 1 s.
    package var initialDelay: Duration
    /// The longest delay between two attempts. Default 1 hour.
    package var maximumDelay: Duration
    /// The fraction a delay varies either way at random, 0..<1. Default 0.2 (±20 %).
    package var jitter: Double

    /// 5 attempts, 1 s, doubling, at most 1 hour apart, ±20 %.
    package static let defaults = WebhookRetryPolicy(
        maximumAttempts: 5, initialDelay: .seconds(1), maximumDelay: .seconds(3600), jitter: 0.2)

    /// Creates a policy.
    package init(maximumAttempts: Int, initialDelay: Duration, maximumDelay: Duration, jitter: Double) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = max(.milliseconds(1), initialDelay)
        self.maximumDelay = max(self.initialDelay, maximumDelay)
        self.jitter = min(0.99, max(0, jitter))
    }

    /// The delay before the attempt after `attempt` (1 for the first).
    ///
    /// - Parameters:
    ///   - attempt: The attempt that failed, from 1.
    ///   - retryAfter: What the receiver asked for (429, 503), if anything.
    ///   - random: A number in 0..<1 choosing the jitter.
    package func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, random: Double) -> Duration {
        let exponent = attempt <= 1 ? 0 : min(40, attempt - 1)
        let base = Self.seconds(self.initialDelay) * Double(UInt64(1) << UInt64(exponent))
        let jittered = base * (1 - self.jitter + 2 * self.jitter * min(1, max(0, random)))
        let requested = retryAfter.map(Self.seconds) ?? 0
        let seconds = min(Self.seconds(self.maximumDelay), max(jittered, requested))
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
