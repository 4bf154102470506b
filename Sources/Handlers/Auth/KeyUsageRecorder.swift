public import FoundationEssentials
public import Storage
internal import Synchronization

/// Collects the ids of keys used by calls and writes `api_keys.last_used_at` for all of them in
/// one statement from time to time, never on the request path.
///
/// ```swift
/// let usage = KeyUsageRecorder(pool: pool)
/// let flusher = Task { await usage.run(every: .seconds(30)) }
/// // ... on shutdown:
/// flusher.cancel(); await flusher.value; try? await usage.flush()
/// ```
public final class KeyUsageRecorder: Sendable {
    private let pool: PostgresPool
    private let pending = Mutex<Set<UUID>>([])

    /// Creates a recorder.
    ///
    /// - Parameter pool: Where `api_keys` lives.
    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Notes that `keyID` was used just now; cheap, no I/O.
    ///
    /// - Parameter keyID: The key's id.
    public func record(keyID: UUID) {
        _ = self.pending.withLock { $0.insert(keyID) }
    }

    /// How many key ids wait for the next flush.
    public var pendingCount: Int { self.pending.withLock { $0.count } }

    /// Writes `last_used_at = now()` for every key used since the last flush in one `UPDATE`.
    /// When it fails, the ids are kept for the next flush.
    ///
    /// - Returns: How many rows were updated.
    /// - Throws: ``PostgresError`` when PostgreSQL cannot be written.
    @discardableResult
    public func flush() async throws -> Int {
        let ids = self.pending.withLock { pending in
            defer { pending = [] }
            return pending
        }
        guard !ids.isEmpty else { return 0 }
        let array = "{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
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
    public func run(every interval: Duration) async {
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
