internal import NIOPosix
internal import Synchronization

/// The threads a pool runs its blocking C calls on, started when the pool first needs them
/// (its first connection, or its ``Service`` run) rather than when it is created, and never
/// again once stopped.
final class PoolThreads: Sendable {
    private enum State {
        /// Created; goes to `.running` on first use, or to `.stopped`.
        case idle
        /// Threads run; goes to `.stopped`.
        case running
        /// Threads stopped for good.
        case stopped
    }

    private let threadPool: NIOThreadPool
    private let state = Mutex(State.idle)

    /// Threads for a pool of `count` connections; none starts yet.
    init(count: Int) {
        self.threadPool = NIOThreadPool(numberOfThreads: max(1, count))
    }

    /// Starts the threads unless they run or were stopped.
    func start() {
        let starts = self.state.withLock { state in
            guard case .idle = state else { return false }
            state = .running
            return true
        }
        if starts {
            self.threadPool.start()
        }
    }

    /// Runs `body` on a pool thread, starting the threads when they have not started yet.
    ///
    /// - Throws: `NIOThreadPoolError.ThreadPoolInactive` once ``stop()`` was called, or what
    ///   `body` throws.
    func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        self.start()
        return try await self.threadPool.runIfActive(body)
    }

    /// Stops the threads for good once the work they run has returned.
    ///
    /// - Returns: Whether they stopped cleanly.
    @discardableResult
    func stop() async -> Bool {
        let wasRunning = self.state.withLock { state in
            defer { state = .stopped }
            if case .running = state { return true }
            return false
        }
        guard wasRunning else { return true }
        do {
            try await self.threadPool.shutdownGracefully()
            return true
        } catch {
            return false
        }
    }
}
