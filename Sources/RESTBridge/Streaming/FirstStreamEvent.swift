internal import RPCServer
internal import Synchronization

/// The first thing that happens to a REST stream, which decides its HTTP status: a message (or
/// a quiet start) means 200 and a body that follows; an error before any message means the
/// error's own status.
final class FirstStreamEvent: Sendable {
    /// What happened first.
    enum Outcome: Sendable {
        /// A message was written, the handler finished, or it stayed quiet for the headers delay.
        case started
        /// The handler failed before writing anything.
        case failed(RPCError)
    }

    private struct State {
        var outcome: Outcome?
        var waiter: CheckedContinuation<Outcome, Never>?
    }

    private let state = Mutex(State())

    /// Records an outcome if none was recorded yet.
    ///
    /// - Parameter outcome: What happened.
    /// - Returns: Whether this call recorded it (`false` when something else came first).
    @discardableResult
    func record(_ outcome: Outcome) -> Bool {
        let (recorded, waiter) = self.state.withLock { state -> (Bool, CheckedContinuation<Outcome, Never>?) in
            guard state.outcome == nil else { return (false, nil) }
            state.outcome = outcome
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(returning: outcome)
        return recorded
    }

    /// Waits for the first outcome.
    func wait() async -> Outcome {
        await withCheckedContinuation { continuation in
            let ready: Outcome? = self.state.withLock { state in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
