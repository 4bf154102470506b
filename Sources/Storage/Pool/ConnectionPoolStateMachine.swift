/// The bookkeeping of a bounded connection pool, with no I/O: each event returns what the pool
/// must do next (hand a connection over, open one, close one, fail a waiter).
///
/// Invariant: `openCount == idle.count + leasedCount`, where a connection being opened counts as
/// leased to whoever asked for it, and `openCount <= maximum`.
///
/// State transitions:
/// - running → running on every event except ``shutDown()``;
/// - running → shutting down on ``shutDown()``: idle connections are closed, waiters fail,
///   connections coming back are closed;
/// - shutting down → shut down when the last leased connection comes back (``Release/shutdownComplete``).
struct ConnectionPoolStateMachine<Connection: Sendable, Waiter> {
    /// What a waiter is given when it is resumed.
    typealias Grant = ConnectionPoolGrant<Connection>

    /// The answer to ``acquire(waiterID:waiter:)``.
    enum AcquireAction {
        /// Resume the waiter at once with this grant.
        case grant(Grant)
        /// The waiter was queued; it is resumed by a later event.
        case queued
        /// The pool is shut down.
        case failShutDown
    }

    /// What to do after a connection came back or failed to open.
    struct Release {
        /// A connection the pool no longer keeps; close it.
        var close: Connection?
        /// A waiter to resume, with what it was given.
        var resume: (id: UInt64, waiter: Waiter, grant: Grant)?
        /// The pool was shutting down and nothing is leased any more.
        var shutdownComplete = false
    }

    /// What to do on shutdown.
    struct Shutdown {
        /// Idle connections to close.
        var close: [Connection]
        /// Waiters to fail.
        var fail: [Waiter]
        /// Nothing was leased, so the pool is shut down already.
        var complete: Bool
    }

    private let maximum: Int
    private var idle: [Connection] = []
    private var leasedCount = 0
    private var waiters: [(id: UInt64, waiter: Waiter)] = []
    private var isShuttingDown = false

    /// Creates an empty pool's state.
    ///
    /// - Parameter maximum: The most connections open at once (at least 1).
    init(maximum: Int) {
        precondition(maximum >= 1, "a pool needs room for at least one connection")
        self.maximum = maximum
    }

    /// Connections open or being opened.
    var openCount: Int { self.idle.count + self.leasedCount }

    /// Connections handed out and not yet returned (including ones being opened).
    var leased: Int { self.leasedCount }

    /// Waiters queued for a connection.
    var waiterCount: Int { self.waiters.count }

    /// Whether the waiter is still queued.
    func isQueued(_ id: UInt64) -> Bool {
        self.waiters.contains { $0.id == id }
    }

    /// A caller wants a connection: an idle one (most recently used first), a slot to open a new
    /// one, or a place in the queue.
    mutating func acquire(waiterID: UInt64, waiter: Waiter) -> AcquireAction {
        if self.isShuttingDown {
            return .failShutDown
        }
        if let connection = self.idle.popLast() {
            self.leasedCount += 1
            return .grant(.connection(connection))
        }
        if self.openCount < self.maximum {
            self.leasedCount += 1
            return .grant(.open)
        }
        self.waiters.append((waiterID, waiter))
        return .queued
    }

    /// A leased connection came back.
    ///
    /// - Parameters:
    ///   - connection: The connection.
    ///   - reusable: `false` when it is broken or in an unknown state; it is then closed.
    mutating func release(_ connection: Connection, reusable: Bool) -> Release {
        precondition(self.leasedCount > 0, "released a connection the pool did not lease")
        if self.isShuttingDown {
            self.leasedCount -= 1
            return Release(close: connection, resume: nil, shutdownComplete: self.leasedCount == 0)
        }
        if reusable {
            if !self.waiters.isEmpty {
                let next = self.waiters.removeFirst()
                return Release(close: nil, resume: (next.id, next.waiter, .connection(connection)))
            }
            self.leasedCount -= 1
            self.idle.append(connection)
            return Release()
        }
        if !self.waiters.isEmpty {
            // The slot passes to the next waiter, which opens a replacement.
            let next = self.waiters.removeFirst()
            return Release(close: connection, resume: (next.id, next.waiter, .open))
        }
        self.leasedCount -= 1
        return Release(close: connection, resume: nil)
    }

    /// Opening a connection for a granted slot failed; the slot goes to the next waiter, which
    /// tries for itself (so during an outage every waiter fails fast instead of timing out).
    mutating func openFailed() -> Release {
        precondition(self.leasedCount > 0, "a slot failed to open that the pool did not grant")
        if !self.isShuttingDown, !self.waiters.isEmpty {
            let next = self.waiters.removeFirst()
            return Release(close: nil, resume: (next.id, next.waiter, .open))
        }
        self.leasedCount -= 1
        return Release(close: nil, resume: nil, shutdownComplete: self.isShuttingDown && self.leasedCount == 0)
    }

    /// Removes a queued waiter (timed out or cancelled).
    ///
    /// - Returns: The waiter, or `nil` when it was already resumed.
    mutating func removeWaiter(_ id: UInt64) -> Waiter? {
        guard let index = self.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return self.waiters.remove(at: index).waiter
    }

    /// Stops handing out connections.
    mutating func shutDown() -> Shutdown {
        if self.isShuttingDown {
            return Shutdown(close: [], fail: [], complete: false)
        }
        self.isShuttingDown = true
        let idle = self.idle
        let waiters = self.waiters.map(\.waiter)
        self.idle = []
        self.waiters = []
        return Shutdown(close: idle, fail: waiters, complete: self.leasedCount == 0)
    }
}
