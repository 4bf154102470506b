internal import Synchronization

/// Whether the live conversation stream reads PostgreSQL because Redis is unavailable, for the
/// health report (`SystemService.GetHealth` reports DEGRADED meanwhile).
package final class ConversationStreamHealth: Sendable {
    private let degraded = Atomic<Bool>(false)

    /// Creates the health, not degraded.
    package init() {}

    /// Whether watchers are fed from PostgreSQL polling because Redis does not answer.
    package var isDegraded: Bool { self.degraded.load(ordering: .relaxed) }

    /// Records the stream's state.
    func set(degraded: Bool) {
        self.degraded.store(degraded, ordering: .relaxed)
    }
}
