internal import FoundationEssentials
internal import MetaChatAPI
package import Storage
internal import Synchronization

/// The API keys this instance has looked up, by prefix, so authentication does not touch
/// PostgreSQL on the hot path.
///
/// A miss loads the row once, however many calls ask for the same prefix at the same moment; an
/// unknown prefix is remembered for ``negativeLifetime`` so guessing does not reach the database
/// on every call. Entries are dropped when ``invalidate(keyID:)`` or ``invalidate(tenantID:)``
/// is called (``RedisKeyInvalidation`` does that on every instance when a key or tenant changes)
/// and, as a safety net for a lost message, after ``lifetime``.
///
/// A hit is answered under a lock without suspending, so authentication adds no executor hop.
package final class KeyDirectory: Sendable {
    private struct Entry {
        var key: StoredKey?
        var loadedAt: ContinuousClock.Instant
    }

    private let pool: PostgresPool
    /// How long a found key stays cached.
    package let lifetime: Duration
    /// How long an unknown prefix stays cached.
    package let negativeLifetime: Duration
    /// The most entries kept; beyond it expired entries go first, then unknown prefixes.
    package let maximumEntries: Int
    private let clock = ContinuousClock()
    private let state = Mutex(State())
    private let invalidations = Atomic<Int>(0)

    private struct State {
        var entries: [String: Entry] = [:]
        var loading: [String: Task<StoredKey?, any Error>] = [:]
        var loads = 0
    }

    /// Creates an empty directory.
    ///
    /// - Parameters:
    ///   - pool: Where `api_keys` lives; read in the admin scope.
    ///   - lifetime: How long a found key stays cached without an invalidation (60 s unless given).
    ///   - negativeLifetime: How long an unknown prefix stays cached (5 s unless given).
    ///   - maximumEntries: The most entries kept (100 000 unless given), so a flood of made-up
    ///     prefixes cannot grow the cache without bound.
    package init(
        pool: PostgresPool, lifetime: Duration = .seconds(60), negativeLifetime: Duration = .seconds(5),
        maximumEntries: Int = 100_000
    ) {
        self.pool = pool
        self.lifetime = lifetime
        self.negativeLifetime = negativeLifetime
        self.maximumEntries = max(1, maximumEntries)
    }

    /// How many prefixes are cached, known or unknown.
    package var cachedCount: Int { self.state.withLock { $0.entries.count } }

    /// How many times a key was read from PostgreSQL, for metrics and tests.
    package var loadCount: Int { self.state.withLock { $0.loads } }

    /// A number that changes whenever an invalidation arrives. An answer obtained while it had
    /// one value may be relied on only while it still has that value (and until the answer's
    /// `freshUntil`).
    package var generation: Int { self.invalidations.load(ordering: .acquiring) }

    /// The key with `prefix`, from the cache or PostgreSQL; `nil` when no key has that prefix.
    ///
    /// A rotation gives the row the new key's prefix, so a key replaced by a rotation is found by
    /// its hash in `previous_key_hash` while its grace period lasts, and cached under its own
    /// prefix.
    ///
    /// - Parameters:
    ///   - prefix: The presented key's lookup prefix.
    ///   - hash: The presented key's hash under the pepper.
    /// - Throws: ``PostgresError`` when the key is not cached and PostgreSQL cannot be read.
    package func key(prefix: String, hash: [UInt8]) async throws -> StoredKey? {
        try await self.lookup(prefix: prefix, hash: hash).key
    }

    /// The key with `prefix` as ``key(prefix:hash:)`` finds it, and until when the answer may be
    /// reused without asking again: ``lifetime`` after the row was read (at the latest).
    ///
    /// - Parameters:
    ///   - prefix: The presented key's lookup prefix.
    ///   - hash: The presented key's hash under the pepper.
    /// - Throws: ``PostgresError`` when the key is not cached and PostgreSQL cannot be read.
    package func lookup(
        prefix: String, hash: [UInt8]
    ) async throws -> (key: StoredKey?, freshUntil: ContinuousClock.Instant) {
        enum Lookup {
            case cached(StoredKey?, loadedAt: ContinuousClock.Instant)
            case loading(Task<StoredKey?, any Error>, generation: Int, owner: Bool)
        }
        let now = self.clock.now
        let pool = self.pool
        let lookup = self.state.withLock { state -> Lookup in
            if let entry = state.entries[prefix] {
                let age = entry.loadedAt.duration(to: now)
                if age < (entry.key == nil ? self.negativeLifetime : self.lifetime) {
                    return .cached(entry.key, loadedAt: entry.loadedAt)
                }
                state.entries[prefix] = nil
            }
            let generation = self.invalidations.load(ordering: .acquiring)
            if let running = state.loading[prefix] {
                return .loading(running, generation: generation, owner: false)
            }
            let task = Task { try await Self.load(prefix: prefix, hash: hash, from: pool) }
            state.loading[prefix] = task
            state.loads += 1
            return .loading(task, generation: generation, owner: true)
        }
        // A row read now was read after `now`, so it is fresh at least until `now + lifetime`.
        switch lookup {
        case .cached(let key, let loadedAt):
            return (key, loadedAt + self.lifetime)
        case .loading(let task, _, owner: false):
            return (try await task.value, now + self.lifetime)
        case .loading(let task, let generation, owner: true):
            let result = await task.result
            self.state.withLock { state in
                state.loading[prefix] = nil
                // An invalidation that arrived while the row was being read may describe a change
                // the read did not see; the answer is used for this call but not kept.
                if case .success(let key) = result, generation == self.invalidations.load(ordering: .acquiring) {
                    self.makeRoom(&state)
                    state.entries[prefix] = Entry(key: key, loadedAt: self.clock.now)
                }
            }
            return (try result.get(), now + self.lifetime)
        }
    }

    private func makeRoom(_ state: inout State) {
        guard state.entries.count >= self.maximumEntries else { return }
        let now = self.clock.now
        state.entries = state.entries.filter { _, entry in
            entry.loadedAt.duration(to: now) < (entry.key == nil ? self.negativeLifetime : self.lifetime)
        }
        if state.entries.count >= self.maximumEntries {
            state.entries = state.entries.filter { $0.value.key != nil }
        }
        if state.entries.count >= self.maximumEntries {
            state.entries = [:]
        }
    }

    /// Forgets the key `keyID` and every unknown prefix (a key created since may carry one).
    ///
    /// - Parameter keyID: The key's id.
    package func invalidate(keyID: String) {
        let id = UUID(canonicalText: keyID)
        self.state.withLock { state in
            self.invalidations.add(1, ordering: .releasing)
            state.entries = state.entries.filter { _, entry in
                guard let key = entry.key else { return false }
                return key.id != id
            }
        }
    }

    /// Forgets every key of the tenant `tenantID`.
    ///
    /// - Parameter tenantID: The tenant's id.
    package func invalidate(tenantID: String) {
        let id = UUID(canonicalText: tenantID)
        self.state.withLock { state in
            self.invalidations.add(1, ordering: .releasing)
            state.entries = state.entries.filter { _, entry in
                entry.key.map { $0.tenantID != id } ?? false
            }
        }
    }

    /// Forgets everything, e.g. after the invalidation channel was disconnected.
    package func invalidateAll() {
        self.state.withLock { state in
            self.invalidations.add(1, ordering: .releasing)
            state.entries = [:]
        }
    }

    /// The query that finds the key a presented key names: the row whose `prefix` is the
    /// presented prefix or, failing that, the row whose `previous_key_hash` is the presented
    /// key's hash while its grace period lasts.
    ///
    /// The two lookups are separate branches of a `UNION ALL`, each answered by its own index
    /// (`api_keys_prefix_key`, `api_keys_previous_key_hash_idx`), so an unknown prefix costs two
    /// index probes instead of a sequential scan of `api_keys` (which a single `prefix = $1 OR
    /// previous_key_hash = $2` condition needs). The prefix match wins when both find a row.
    ///
    /// - Parameters:
    ///   - prefix: The presented key's lookup prefix.
    ///   - hash: The presented key's hash under the pepper.
    package static func lookupQuery(prefix: String, hash: [UInt8]) -> PostgresQuery {
        """
        WITH found AS (
            SELECT candidates.id
            FROM (
                SELECT id, 0 AS preference FROM api_keys WHERE prefix = \(prefix)
                UNION ALL
                SELECT id, 1 AS preference FROM api_keys
                WHERE previous_key_hash = \(hash) AND previous_key_valid_until > now()
            ) candidates
            ORDER BY candidates.preference
            LIMIT 1
        )
        SELECT k.id, k.owner_kind, k.admin_id, k.tenant_id, k.key_hash, k.active, k.expires_at,
               k.previous_key_hash, k.previous_key_valid_until, a.role, t.enabled AS tenant_enabled,
               CASE WHEN jsonb_typeof(rl.requests) = 'number' THEN rl.requests::text::numeric::int8 END
                   AS rate_limit_requests,
               CASE WHEN jsonb_typeof(rl.window) = 'number' THEN rl.window::text::numeric::int8 END
                   AS rate_limit_window_seconds
        FROM found
        JOIN api_keys k ON k.id = found.id
        LEFT JOIN admin_users a ON a.id = k.admin_id
        LEFT JOIN tenants t ON t.id = k.tenant_id
        LEFT JOIN LATERAL (
            SELECT coalesce(t.settings #> '{rate_limit,requests_per_window}',
                            t.settings #> '{rateLimit,requestsPerWindow}') AS requests,
                   coalesce(t.settings #> '{rate_limit,window_seconds}',
                            t.settings #> '{rateLimit,windowSeconds}') AS window
        ) rl ON true
        """
    }

    private static func load(prefix: String, hash: [UInt8], from pool: PostgresPool) async throws -> StoredKey? {
        let rows = try await pool.withAdminTransaction { connection in
            try await connection.query(Self.lookupQuery(prefix: prefix, hash: hash))
        }
        guard let row = rows.first else { return nil }
        let owner: StoredKey.Owner
        switch try row.decode("owner_kind", as: String.self) {
        case "admin":
            let role: Metachat_V1_AdminRole =
                switch try row.decode("role", as: String?.self) {
                case "SUPER": .super
                case "STANDARD": .standard
                default: .unspecified
                }
            owner = .admin(adminID: try row.decode("admin_id", as: UUID.self), role: role)
        default:
            owner = .tenant(
                tenantID: try row.decode("tenant_id", as: UUID.self),
                enabled: try row.decode("tenant_enabled", as: Bool?.self) ?? false,
                rateLimit: TenantRateLimit(
                    requestsPerWindow: try row.decode("rate_limit_requests", as: Int?.self),
                    windowSeconds: try row.decode("rate_limit_window_seconds", as: Int?.self)
                )
            )
        }
        return StoredKey(
            id: try row.decode("id", as: UUID.self),
            owner: owner,
            hash: try row.decode("key_hash", as: [UInt8].self),
            previousHash: try row.decode("previous_key_hash", as: [UInt8]?.self),
            previousValidUntil: try row.decode("previous_key_valid_until", as: Date?.self),
            active: try row.decode("active", as: Bool.self),
            expiresAt: try row.decode("expires_at", as: Date?.self)
        )
    }
}
