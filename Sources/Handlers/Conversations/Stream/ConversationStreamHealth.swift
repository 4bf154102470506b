internal import Synchronization

/// Whether the live conversation stream reads PostgreSQL because Redis is unavailable, for the
/// health report (`SystemService.GetHealth` reports DEGRADED meanwhile).
package final class ConversationStreamHealth: Sendable {
    private let probe = Mutex<(@Sendable () -> Bool)?>(nil)

    /// Creates the health, not degraded until a stream binds it.
    package init() {}

    /// Whether watchers are fed from PostgreSQL polling because Redis does not answer, asked of
    /// the stream at the moment of the question.
    package var isDegraded: Bool {
        self.probe.withLock({ $0 })?() ?? false
    }

    /// Answers ``isDegraded`` from `probe` from now on.
    func bind(_ probe: @escaping @Sendable () -> Bool) {
        self.probe.withLock { $0 = probe }
    }
}
