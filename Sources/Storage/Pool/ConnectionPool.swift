internal import Synchronization

/// A bounded pool of connections of any kind, shared by the PostgreSQL and Redis pools.
///
/// At most `maximum` connections are open or being opened at once. A caller that finds none idle
/// and no room to open one waits in a first-in, first-out queue until a connection comes back, its
/// acquire timeout passes (``ConnectionPoolFailure/acquireTimeout``) or its task is cancelled.
/// Opening and closing run through the closures given at initialisation, so blocking C calls stay
/// on whatever thread pool the owner chose.
final class ConnectionPool<Connection: Sendable>: Sendable {
    /// A suspended caller.
    typealias Waiter = CheckedContinuation<ConnectionPoolGrant<Connection>, any Error>

    /// How many connections are in each state, for tests and metrics.
    struct Statistics: Sendable, Hashable {
        /// Connections open or being opened.
        var open: Int
        /// Connections handed out (including ones being opened).
        var leased: Int
        /// Callers waiting for a connection.
        var waiting: Int
    }

    private struct State {
        var machine: ConnectionPoolStateMachine<Connection, Waiter>
        var timers: [UInt64: Task<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
        var isShutDown = false
        var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    /// Acquisitions finished, and their summed wait in nanoseconds (``waitTotals``).
    private let acquisitions = Atomic<Int64>(0)
    private let waitedNanoseconds = Atomic<Int64>(0)
    private let acquireTimeout: Duration
    private let openConnection: @Sendable () async throws -> Connection
    private let closeConnection: @Sendable (Connection) async -> Void

    /// Creates an empty pool; connections are opened on demand.
    ///
    /// - Parameters:
    ///   - maximum: The most connections open at once.
    ///   - acquireTimeout: How long a caller waits for a busy pool.
    ///   - open: Opens one connection.
    ///   - close: Closes one connection the pool no longer keeps.
    init(
        maximum: Int,
        acquireTimeout: Duration,
        open: @escaping @Sendable () async throws -> Connection,
        close: @escaping @Sendable (Connection) async -> Void
    ) {
        self.state = Mutex(State(machine: ConnectionPoolStateMachine(maximum: maximum)))
        self.acquireTimeout = acquireTimeout
        self.openConnection = open
        self.closeConnection = close
    }

    /// The current counts.
    var statistics: Statistics {
        self.state.withLock { state in
            Statistics(
                open: state.machine.openCount,
                leased: state.machine.leased,
                waiting: state.machine.waiterCount
            )
        }
    }

    /// How long callers have waited for connections, summed, and how many asked.
    var waitTotals: PoolWaitTotals {
        PoolWaitTotals(
            acquisitions: self.acquisitions.load(ordering: .relaxed),
            waitedNanoseconds: self.waitedNanoseconds.load(ordering: .relaxed))
    }

    /// Counts one finished acquisition that asked at `requested`.
    private func recordWait(since requested: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - requested).components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let waited = nanoseconds.overflow ? Int64.max : nanoseconds.partialValue &+ attoseconds / 1_000_000_000
        self.acquisitions.add(1, ordering: .relaxed)
        self.waitedNanoseconds.add(max(0, waited), ordering: .relaxed)
    }

    /// Takes an idle connection, opens a new one, or waits for one to come back.
    ///
    /// Every connection acquired must be given back with ``release(_:reusable:)``.
    ///
    /// - Throws: ``ConnectionPoolFailure``, `CancellationError`, or what opening a connection threw.
    func acquire() async throws -> Connection {
        let id = self.state.withLock { state in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        let requested = ContinuousClock.now
        let grant: ConnectionPoolGrant<Connection>
        do {
            grant = try await self.waitForGrant(id)
            self.recordWait(since: requested)
        } catch {
            self.recordWait(since: requested)
            throw error
        }
        switch grant {
        case .connection(let connection):
            return connection
        case .open:
            do {
                return try await self.openConnection()
            } catch {
                let release = self.state.withLock { $0.machine.openFailed() }
                await self.perform(release)
                throw error
            }
        }
    }

    /// Waits for the state machine to grant waiter `id` a connection (or the right to open one).
    private func waitForGrant(_ id: UInt64) async throws -> ConnectionPoolGrant<Connection> {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let action = self.state.withLock { $0.machine.acquire(waiterID: id, waiter: continuation) }
                switch action {
                case .grant(let grant):
                    continuation.resume(returning: grant)
                case .failShutDown:
                    continuation.resume(throwing: ConnectionPoolFailure.shutDown)
                case .queued:
                    // The cancellation handler may have run before the waiter was queued.
                    if Task.isCancelled {
                        self.failWaiter(id, with: CancellationError())
                    } else {
                        self.startTimer(for: id)
                    }
                }
            }
        } onCancel: {
            self.failWaiter(id, with: CancellationError())
        }
    }

    /// Gives a connection back.
    ///
    /// - Parameters:
    ///   - connection: A connection from ``acquire()``.
    ///   - reusable: `false` to close it instead of keeping it (broken, or left in an unknown state).
    func release(_ connection: Connection, reusable: Bool) async {
        let release = self.state.withLock { $0.machine.release(connection, reusable: reusable) }
        await self.perform(release)
    }

    /// Stops handing out connections: waiters fail with ``ConnectionPoolFailure/shutDown``, idle
    /// connections close, and the call returns once every leased connection came back and closed.
    func shutDown() async {
        let (shutdown, timers, alreadyDone) = self.state.withLock { state in
            let timers = Array(state.timers.values)
            state.timers = [:]
            return (state.machine.shutDown(), timers, state.isShutDown)
        }
        if alreadyDone {
            return
        }
        for timer in timers {
            timer.cancel()
        }
        for waiter in shutdown.fail {
            waiter.resume(throwing: ConnectionPoolFailure.shutDown)
        }
        for connection in shutdown.close {
            await self.closeConnection(connection)
        }
        if shutdown.complete {
            self.completeShutdown()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = self.state.withLock { state in
                if state.isShutDown {
                    return true
                }
                state.shutdownWaiters.append(continuation)
                return false
            }
            if done {
                continuation.resume()
            }
        }
    }

    private func perform(_ release: ConnectionPoolStateMachine<Connection, Waiter>.Release) async {
        if let resume = release.resume {
            let timer = self.state.withLock { $0.timers.removeValue(forKey: resume.id) }
            timer?.cancel()
            resume.waiter.resume(returning: resume.grant)
        }
        if let connection = release.close {
            await self.closeConnection(connection)
        }
        if release.shutdownComplete {
            self.completeShutdown()
        }
    }

    private func completeShutdown() {
        let waiters = self.state.withLock { state in
            state.isShutDown = true
            let waiters = state.shutdownWaiters
            state.shutdownWaiters = []
            return waiters
        }
        for waiter in waiters {
            waiter.resume()
        }
    }

    private func startTimer(for id: UInt64) {
        let timeout = self.acquireTimeout
        let timer = Task {
            do {
                try await Task.sleep(for: timeout)
            } catch {
                return  // Cancelled: the waiter got a connection or gave up first.
            }
            self.failWaiter(id, with: ConnectionPoolFailure.acquireTimeout)
        }
        let stale = self.state.withLock { state -> Task<Void, Never>? in
            guard state.machine.isQueued(id) else { return timer }
            state.timers[id] = timer
            return nil
        }
        stale?.cancel()
    }

    private func failWaiter(_ id: UInt64, with error: any Error) {
        let (waiter, timer) = self.state.withLock { state in
            (state.machine.removeWaiter(id), state.timers.removeValue(forKey: id))
        }
        timer?.cancel()
        waiter?.resume(throwing: error)
    }
}
