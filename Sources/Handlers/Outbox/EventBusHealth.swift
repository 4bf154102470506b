internal import Synchronization

/// Whether the event bus (RabbitMQ) takes events right now, as the relay last saw it, for the
/// health report: while it does not, events wait in the outbox.
package final class EventBusHealth: Sendable {
    private let state = Mutex<(reachable: Bool, message: String, waiting: Int)>(
        (true, "not connected yet", 0))

    /// Creates the health state (reachable until the first failure).
    package init() {}

    /// Whether the last batch was confirmed (or none was tried yet).
    package var isReachable: Bool { self.state.withLock { $0.reachable } }

    /// What the relay saw last, e.g. `publishing with confirms` or why not; no credentials.
    package var message: String { self.state.withLock { $0.message } }

    /// Records a confirmed batch.
    func published() {
        self.state.withLock { $0 = (true, "publishing with confirms", 0) }
    }

    /// Records a failure.
    ///
    /// - Parameter reason: Why (no credentials).
    func failed(_ reason: String) {
        self.state.withLock { $0 = (false, "events wait in the outbox: \(reason)", $0.waiting) }
    }
}
