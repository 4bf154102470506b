internal import FoundationEssentials
internal import Storage
internal import Synchronization

/// Stores verified Meta callbacks in `channel_inbound`, the callbacks that arrive together in one
/// transaction: while a write is in flight the next callbacks wait, and the write after it takes
/// all of them (up to ``batchLimit``) with one multi-row `INSERT`, one `NOTIFY` and one commit.
///
/// A callback is answered 200 only after its row committed, as before; under load the commits
/// are shared instead of queued one behind the other (docs/channels.md). When a batch fails, each
/// of its callbacks is written again alone, so one bad row (its channel deleted meanwhile) fails
/// only its own request.
final class ChannelInboundWriter: Sendable {
    /// One callback waiting to be written.
    private struct Pending: Sendable {
        var tenantID: UUID
        var channelID: UUID
        var body: [UInt8]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State: Sendable {
        var waiting: [Pending] = []
        var writing = false
    }

    /// The most callbacks one transaction writes.
    let batchLimit: Int
    private let pool: PostgresPool
    private let state = Mutex(State())
    private let transactions = Atomic<Int>(0)

    /// Transactions written so far (failed ones and single-row retries included), for tests.
    var transactionCount: Int { self.transactions.load(ordering: .relaxed) }

    /// Creates a writer.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - batchLimit: The most callbacks one transaction writes (at least 1).
    init(pool: PostgresPool, batchLimit: Int = 200) {
        self.pool = pool
        self.batchLimit = max(1, batchLimit)
    }

    /// Stores one callback; returns once its row is committed.
    ///
    /// - Throws: The database's error when the row could not be written.
    func store(tenantID: UUID, channelID: UUID, body: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let startsWriter = self.state.withLock { state -> Bool in
                state.waiting.append(
                    Pending(tenantID: tenantID, channelID: channelID, body: body, continuation: continuation))
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            if startsWriter {
                Task { await self.writeWaiting() }
            }
        }
    }

    /// Writes batches until none waits.
    private func writeWaiting() async {
        while true {
            let batch = self.state.withLock { state -> [Pending] in
                guard !state.waiting.isEmpty else {
                    state.writing = false
                    return []
                }
                let count = min(state.waiting.count, self.batchLimit)
                defer { state.waiting.removeFirst(count) }
                return Array(state.waiting.prefix(count))
            }
            guard !batch.isEmpty else { return }
            do {
                try await self.write(batch)
                for pending in batch { pending.continuation.resume() }
            } catch {
                guard batch.count > 1 else {
                    batch[0].continuation.resume(throwing: error)
                    continue
                }
                for pending in batch {
                    do {
                        try await self.write([pending])
                        pending.continuation.resume()
                    } catch {
                        pending.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// One transaction: the rows, then one notification for the channel workers.
    private func write(_ batch: [Pending]) async throws {
        var values: [String] = []
        var binds: [PostgresValue?] = []
        values.reserveCapacity(batch.count)
        binds.reserveCapacity(batch.count * 3)
        for pending in batch {
            let first = binds.count + 1
            values.append("($\(first), $\(first + 1), $\(first + 2))")
            binds += [.uuid(pending.tenantID), .uuid(pending.channelID), .bytea(pending.body)]
        }
        // Placeholders only: every value travels as a parameter.
        let insert = PostgresQuery(
            unsafeSQL: "INSERT INTO channel_inbound (tenant_id, channel_id, body) VALUES "
                + values.joined(separator: ", "),
            binds: binds)
        // Callbacks of several tenants share the transaction: the admin scope writes them, the
        // table's policy checks each row's tenant as for any insert.
        self.transactions.add(1, ordering: .relaxed)
        try await self.pool.withAdminTransaction { connection in
            _ = try await connection.execute(insert)
            _ = try await connection.query("SELECT pg_notify('channel_inbound', '')")
        }
    }
}
