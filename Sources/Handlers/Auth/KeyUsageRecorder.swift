package import FoundationEssentials
package import Storage
internal import Synchronization

/// Collects the ids of keys used by calls and writes `api_keys.last_used_at` for all of them in
/// one statement from time to time, never on the request path.
///
/// As a ``Service`` it flushes every ``flushInterval`` and once more at graceful shutdown:
///
/// ```swift
/// let usage = KeyUsageRecorder(pool: pool)
/// let group = ServiceGroup(services: [pool, usage, server], gracefulShutdownSignals: [.sigterm], logger: logger)
/// ```
package final class KeyUsageRecorder: Sendable {
    private let pool: PostgresPool
    /// Time between flushes when it runs as a ``Service``.
    package let flushInterval: Duration
    private let pending = Mutex<Set<UUID>>([])
    /// Counts flushes; a caller that remembers the count at its last ``record(keyID:)`` can skip
    /// the next until a flush has taken the ids (``record(keyID:rememberedIn:)``).
    private let flushes = Atomic<Int>(0)

    /// Creates a recorder.
    ///
    /// - Parameters:
    ///   - pool: Where `api_keys` lives.
    ///   - flushInterval: Time between flushes when it runs as a ``Service`` (30 s unless given).
    package init(pool: PostgresPool, flushInterval: Duration = .seconds(30)) {
        self.pool = pool
        self.flushInterval = flushInterval
    }

    /// Notes that `keyID` was used just now; cheap, no I/O.
    ///
    /// - Parameter keyID: The key's id.
    package func record(keyID: UUID) {
        _ = self.pending.withLock { $0.insert(keyID) }
    }

    /// Notes `keyID` unless `memo` says this caller already did since the last flush, and
    /// remembers that it did: the remembered-credential path skips the lock and the set.
    ///
    /// - Parameters:
    ///   - keyID: The key's id.
    ///   - memo: The flush count at the caller's last record of this key, `-1` at first.
    func record(keyID: UUID, rememberedIn memo: borrowing Atomic<Int>) {
        let flushes = self.flushes.load(ordering: .acquiring)
        guard memo.load(ordering: .relaxed) != flushes else { return }
        self.record(keyID: keyID)
        memo.store(flushes, ordering: .relaxed)
    }

    /// How many key ids wait for the next flush.
    package var pendingCount: Int { self.pending.withLock { $0.count } }

    /// Writes `last_used_at = now()` for every key used since the last flush in one `UPDATE`.
    /// When it fails, the ids are kept for the next flush.
    ///
    /// - Returns: How many rows were updated.
    /// - Throws: ``PostgresError`` when PostgreSQL cannot be written.
    @discardableResult
    package func flush() async throws -> Int {
        let ids = self.pending.withLock { pending in
            defer {
                pending = []
                // Inside the lock: a record that read the old count either landed in the set
                // taken here or lands in the new one.
                self.flushes.add(1, ordering: .releasing)
            }
            return pending
        }
        guard !ids.isEmpty else { return 0 }
        let array = "{" + ids.map { $0.lowercasedString }.joined(separator: ",") + "}"
        do {
            return try await self.pool.withAdminTransaction { connection in
                try await connection.execute(
                    "UPDATE api_keys SET last_used_at = now() WHERE id = ANY(\(PostgresValue.unknown(array))::uuid[])")
            }
        } catch {
            self.pending.withLock { $0.formUnion(ids) }
            throw error
        }
    }

    /// Flushes every `interval` until the task is cancelled; failures wait for the next round.
    ///
    /// - Parameter interval: Time between flushes.
    package func run(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            _ = try? await self.flush()
        }
    }
}
