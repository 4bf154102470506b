internal import Synchronization

/// The in-process rate limiter that takes over while Redis is unreachable: the same algorithm
/// and limits as ``RateLimiter``'s script, counted per instance.
package final class LocalRateLimiter: Sendable {
    private struct State {
        var tats: [String: Double] = [:]
        var checksSincePrune = 0
    }

    private let state = Mutex(State())
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant

    /// Creates an empty limiter.
    package init() {
        self.origin = self.clock.now
    }

    /// Counts one request of `subject`.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance to use.
    ///   - policy: The limit.
    package func check(subject: String, policy: RateLimitPolicy) -> RateLimitDecision {
        let elapsed = self.origin.duration(to: self.clock.now)
        let now =
            Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return self.state.withLock { state in
            state.checksSincePrune += 1
            if state.checksSincePrune >= 10_000 {
                state.checksSincePrune = 0
                state.tats = state.tats.filter { $0.value > now }
            }
            let (decision, tat) = RateLimitDecision.gcra(tat: state.tats[subject], now: now, policy: policy)
            state.tats[subject] = tat
            return decision
        }
    }
}
