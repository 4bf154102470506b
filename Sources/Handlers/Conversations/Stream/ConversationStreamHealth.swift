internal import Synchronization

/// Whether the live conversation stream reads PostgreSQL because Redis is unavailable, for the
/// health report (`SystemService.GetHealth` reports DEGRADED meanwhile).
package final class ConversationStreamHealth: Sendable {
    private let degraded = Atomic<Bool>(false)
    private let probe = Mutex<(@Sendable () -> Bool)?>(nil)

    /// Creates the health, not degraded.
    package init() {}

    /// Whether watchers are fed from PostgreSQL polling because Redis does not answer: asked of
    /// the stream at the moment of the question when one is bound, else its last recorded state.
    package var isDegraded: Bool {
        if let probe = self.probe.withLock({ $0 }) {
            return probe()
        }
        return self.degraded.load(ordering: .relaxed)
    }

    /// Records the stream's state.
    func set(degraded: Bool) {
        self.degraded.store(degraded, ordering: .relaxed)
    }

    /// Answers ``isDegraded`` from `probe` from now on.
    func bind(_ probe: @escaping @Sendable () -> Bool) {
        self.probe.withLock { $0 = probe }
    }
}
