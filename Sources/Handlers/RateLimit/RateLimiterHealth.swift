internal import Synchronization

/// Whether rate limits currently run on Redis (shared by every instance) or on the local
/// fallback (per instance), for the health report.
///
/// The fallback is in force from a Redis failure until the limiter's next attempt is due; from
/// then on the next call asks Redis again, so a quiet server with Redis back is not reported as
/// degraded forever. (While Redis stays down, the health report's own Redis probe says so.)
package final class RateLimiterHealth: Sendable {
    private let clock = ContinuousClock()
    private let fallbackUntil = Mutex<ContinuousClock.Instant?>(nil)

    /// Creates a healthy flag.
    package init() {}

    /// `true` while Redis failed and limits are counted per instance.
    package var isDegraded: Bool {
        self.fallbackUntil.withLock { until in
            guard let end = until else { return false }
            return self.clock.now < end
        }
    }

    /// Records a Redis failure: limits are counted per instance until `end`.
    ///
    /// - Parameter end: When the limiter asks Redis again.
    func fellBack(until end: ContinuousClock.Instant) {
        self.fallbackUntil.withLock { $0 = end }
    }

    /// Records that Redis answered.
    func recovered() {
        self.fallbackUntil.withLock { $0 = nil }
    }
}
