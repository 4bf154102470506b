internal import Synchronization

/// Whether rate limits currently run on Redis (shared by every instance) or on the local
/// fallback (per instance), for the health report.
public final class RateLimiterHealth: Sendable {
    private let degraded = Atomic<Bool>(false)

    /// Creates a healthy flag.
    public init() {}

    /// `true` while Redis is unreachable and limits are counted per instance.
    public var isDegraded: Bool { self.degraded.load(ordering: .relaxed) }

    /// Records whether the limiter fell back.
    ///
    /// - Parameter degraded: `true` when Redis failed, `false` when it answered.
    func set(degraded: Bool) {
        self.degraded.store(degraded, ordering: .relaxed)
    }
}
