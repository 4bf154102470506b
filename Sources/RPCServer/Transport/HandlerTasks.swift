internal import Synchronization

/// Counts the handler tasks a server has running, so that shutdown can wait for them before it
/// stops the event loops they run on: a task cancelled when its connection closed still needs
/// its loop for the steps that end it.
final class HandlerTasks: Sendable {
    private struct State {
        var running = 0
        var nextToken = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they were stored.
        var cancelled: Set<Int> = []
    }

    private let state = Mutex(State())

    /// Starts a counted handler task.
    ///
    /// - Parameters:
    ///   - executor: The executor the task prefers (its connection's event loop).
    ///   - immediately: Run the task on the calling thread until it first suspends
    ///     (`Task.immediate`) instead of enqueueing it.
    ///   - operation: The task's work.
    /// - Returns: The task.
    @discardableResult
    func start<Success: Sendable>(
        on executor: (any TaskExecutor)?,
        immediately: Bool = false,
        _ operation: sending @escaping () async -> Success
    ) -> Task<Success, Never> {
        self.begin()
        if immediately {
            return Task.immediate(executorPreference: executor) {
                defer { self.end() }
                return await operation()
            }
        }
        return Task(executorPreference: executor) {
            defer { self.end() }
            return await operation()
        }
    }

    /// How many tasks are running.
    var running: Int {
        self.state.withLock { $0.running }
    }

    /// A task is about to start; call before creating it.
    func begin() {
        self.state.withLock { $0.running += 1 }
    }

    /// A task's body has ended.
    func end() {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0, !state.waiters.isEmpty else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.resume()
        }
    }

    /// Waits until no task is running, or until `timeout` has passed.
    ///
    /// - Returns: Whether every task ended in time.
    func waitUntilDrained(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.drained()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Returns once no task is running, or once the calling task is cancelled.
    private func drained() async {
        let token = self.state.withLock { state -> Int in
            state.nextToken += 1
            return state.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLock { state -> Bool in
                    if state.running == 0 || state.cancelled.remove(token) != nil {
                        return true
                    }
                    state.waiters[token] = waiter
                    return false
                }
                if resumeNow {
                    waiter.resume()
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let waiter = state.waiters.removeValue(forKey: token) else {
                    state.cancelled.insert(token)
                    return nil
                }
                return waiter
            }
            waiter?.resume()
        }
    }
}
