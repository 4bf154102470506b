package import FoundationEssentials
internal import RPCServer
package import Storage
internal import Synchronization

/// Runs the turns of one conversation one at a time across every server, in arrival order.
///
/// Within a server, callers of one conversation wait in a first-in-first-out queue, so only the
/// head of each queue goes on; the head takes a PostgreSQL session advisory lock on the
/// conversation (PostgreSQL grants a lock's waiters in the order they asked), holding one
/// connection of its own pool for the turn. Arrival order is the order callers reach
/// ``withTurn(tenantID:conversationID:_:)``: a turn stores its user message inside, so message
/// N+1's prompt holds answer N. A server that dies mid-turn loses its connection, and with it
/// the lock.
package final class ConversationTurnLock: Sendable {
    private struct Queue {
        var running = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let pool: PostgresPool
    private let queues = Mutex<[UUID: Queue]>([:])

    /// Creates the lock.
    ///
    /// - Parameter pool: The connections that hold the advisory locks (at most one per
    ///   conversation with a turn on this server); best a pool of their own, so turns waiting for
    ///   the lock never starve the queries of running turns.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The advisory lock key of a conversation: its first 64 bits (random in a v4 UUID).
    static func key(_ conversationID: UUID) -> Int64 {
        let bytes = conversationID.uuid
        let parts = [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5, bytes.6, bytes.7]
        return Int64(bitPattern: parts.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// Runs `body` as the conversation's only turn.
    package func withTurn<Result: Sendable>(
        tenantID: UUID, conversationID: UUID, _ body: () async throws -> Result
    ) async throws -> Result {
        await self.enter(conversationID)
        defer { self.leave(conversationID) }
        let key = Self.key(conversationID)
        do {
            return try await self.pool.withConnection { connection in
                _ = try await connection.query("SELECT pg_advisory_lock(\(key))")
                do {
                    let result = try await body()
                    try await Self.unlock(key, on: connection)
                    return result
                } catch {
                    try await Self.unlock(key, on: connection)
                    throw error
                }
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    /// Releases the lock even when the turn's task was cancelled.
    private static func unlock(_ key: Int64, on connection: PostgresConnection) async throws {
        let task = Task { _ = try await connection.query("SELECT pg_advisory_unlock(\(key))") }
        try await task.value
    }

    private func enter(_ conversationID: UUID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let runNow = self.queues.withLock { queues in
                var queue = queues[conversationID] ?? Queue()
                defer { queues[conversationID] = queue }
                if queue.running {
                    queue.waiters.append(continuation)
                    return false
                }
                queue.running = true
                return true
            }
            if runNow { continuation.resume() }
        }
    }

    private func leave(_ conversationID: UUID) {
        let next = self.queues.withLock { queues -> CheckedContinuation<Void, Never>? in
            guard var queue = queues[conversationID] else { return nil }
            if queue.waiters.isEmpty {
                queues[conversationID] = nil
                return nil
            }
            let next = queue.waiters.removeFirst()
            queues[conversationID] = queue
            return next
        }
        next?.resume()
    }
}
