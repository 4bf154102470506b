internal import FoundationEssentials
internal import RPCServer
internal import ServiceLifecycle
internal import Synchronization

/// Retention runs started by the API: each works in a task of its own, so `RunRetention` answers
/// with the run's id as soon as it holds the lock, instead of holding an HTTP request for minutes.
///
/// A `Service`: at graceful shutdown it cancels the runs still working and waits for them to
/// record how far they got (state FAILED, "stopped"); a later run goes on from there.
package final class RetentionJobs: Service, Sendable {
    private struct State {
        var tasks: [UUID: Task<Void, Never>] = [:]
        var closed = false
    }

    private let runner: RetentionRunner
    private let state = Mutex(State())

    /// Jobs run by `runner`.
    ///
    /// - Parameter runner: Runs retention.
    package init(runner: RetentionRunner) {
        self.runner = runner
    }

    /// Starts a run and returns its record once it holds the lock and is recorded.
    ///
    /// - Parameter request: What to run.
    /// - Throws: ``RetentionRunner/Refusal`` when another run is working, `UNAVAILABLE` when the
    ///   server is stopping, database errors.
    package func start(_ request: RetentionRunner.Request) async throws -> RetentionRunRecord {
        let (outcomes, outcome) = AsyncStream<Result<RetentionRunRecord, any Error>>.makeStream()
        let token = UUID()
        let runner = self.runner
        let started = try self.state.withLock { state throws -> Bool in
            guard !state.closed else {
                throw RPCError(code: .unavailable, message: "The server is stopping; start the run on another node.")
            }
            state.tasks[token] = Task {
                do {
                    try await runner.run(request) { outcome.yield(.success($0)) }
                } catch {
                    outcome.yield(.failure(error))
                }
                outcome.finish()
                self.state.withLock { _ = $0.tasks.removeValue(forKey: token) }
            }
            return true
        }
        precondition(started)
        for await first in outcomes {
            return try first.get()
        }
        throw RPCError(code: .unavailable, message: "The retention run ended before it started.")
    }

    package func run() async throws {
        try? await gracefulShutdown()
        let tasks = self.state.withLock { state in
            state.closed = true
            return Array(state.tasks.values)
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
