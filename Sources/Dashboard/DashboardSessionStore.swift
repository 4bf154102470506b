package import FoundationEssentials
internal import Handlers
internal import RPCServer
package import Storage

/// Opaque server-side sessions in `dashboard_sessions`.
///
/// The browser holds 32 random bytes (64 hex digits); the table holds their SHA-256. A session
/// ends after ``idleTimeout`` without a request, after ``absoluteTimeout`` whatever happens, at
/// sign-out, and when the user's password or role changes (``DashboardUserStore``).
package struct DashboardSessionStore: Sendable {
    private let pool: PostgresPool
    /// How long a session may go unused.
    package let idleTimeout: Duration
    /// How long a session lasts at most.
    package let absoluteTimeout: Duration

    /// Creates the store.
    package init(pool: PostgresPool, idleTimeout: Duration, absoluteTimeout: Duration) {
        self.pool = pool
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
    }

    /// Starts a new session for `user` (always a new id: nothing a browser presented before is
    /// reused), records the sign-in in the audit log and removes the user's ended sessions.
    ///
    /// - Returns: The cookie's token and the session.
    package func start(for user: DashboardUser, clientAddress: String) async throws -> (
        token: String, session: DashboardSession
    ) {
        let token = Digest.hex(Secrets.randomBytes(32))
        let csrf = Digest.hex(Secrets.randomBytes(32))
        let absolute = Self.seconds(self.absoluteTimeout)
        let idle = Self.seconds(self.idleTimeout)
        try await self.transaction { connection in
            try await connection.execute(
                """
                DELETE FROM dashboard_sessions WHERE user_id = \(user.id)
                AND (expires_at <= now() OR last_seen_at <= now() - \(idle) * interval '1 second')
                """
            )
            try await connection.execute(
                """
                INSERT INTO dashboard_sessions (token_hash, user_id, csrf_token, expires_at)
                VALUES (\(Self.hash(token)), \(user.id), \(csrf), now() + \(absolute) * interval '1 second')
                """
            )
            try await DashboardAuditEntry(
                actor: DashboardAuditEntry.actor(user.id), action: "dashboard.login.succeeded",
                target: user.id.lowercasedString, tenantID: user.tenantID, clientAddress: clientAddress
            ).write(on: connection)
        }
        return (
            token,
            DashboardSession(
                userID: user.id, email: user.email, role: user.role, tenantID: user.tenantID, csrfToken: csrf)
        )
    }

    /// The live session of a cookie token, marking it used; `nil` for an unknown, ended or
    /// malformed token, or a disabled user.
    package func resolve(token: String) async throws -> DashboardSession? {
        guard Self.isWellFormed(token) else { return nil }
        let idle = Self.seconds(self.idleTimeout)
        return try await self.transaction { connection in
            let rows = try await connection.query(
                """
                UPDATE dashboard_sessions AS s SET last_seen_at = now()
                FROM dashboard_users AS u
                WHERE s.token_hash = \(Self.hash(token)) AND u.id = s.user_id AND u.disabled_at IS NULL
                AND s.expires_at > now() AND s.last_seen_at > now() - \(idle) * interval '1 second'
                RETURNING u.id, u.email, u.role, u.tenant_id, s.csrf_token
                """
            )
            guard let row = rows.first else { return nil }
            guard let role = DashboardRole(name: try row.decode("role")) else { return nil }
            return DashboardSession(
                userID: try row.decode("id"), email: try row.decode("email"), role: role,
                tenantID: try row.decode("tenant_id"), csrfToken: try row.decode("csrf_token"))
        }
    }

    /// Ends the session of a cookie token (sign-out) and audits it.
    ///
    /// - Returns: Whether a session ended.
    @discardableResult
    package func end(token: String, clientAddress: String) async throws -> Bool {
        guard Self.isWellFormed(token) else { return false }
        return try await self.transaction { connection in
            let rows = try await connection.query(
                "DELETE FROM dashboard_sessions WHERE token_hash = \(Self.hash(token)) RETURNING user_id")
            guard let row = rows.first else { return false }
            let userID: UUID = try row.decode("user_id")
            try await DashboardAuditEntry(
                actor: DashboardAuditEntry.actor(userID), action: "dashboard.logout",
                target: userID.lowercasedString, clientAddress: clientAddress
            ).write(on: connection)
            return true
        }
    }

    /// How many sessions the user has (ended ones not yet removed included).
    package func count(userID: UUID) async throws -> Int {
        try await self.transaction { connection in
            let rows = try await connection.query(
                "SELECT count(*)::bigint AS n FROM dashboard_sessions WHERE user_id = \(userID)")
            return try rows[0].decode("n", as: Int.self)
        }
    }

    /// Whether `token` looks like one this store hands out (64 lower-case hex digits).
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func hash(_ token: String) -> String {
        Digest.hex(Digest.sha256(Array(token.utf8)))
    }

    private static func seconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds)
    }

    @discardableResult
    private func transaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await self.pool.withAdminTransaction { connection in try await body(connection) }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }
}

extension DashboardSessionStore {
    /// Writes an audit entry on its own.
    func write(_ entry: DashboardAuditEntry) async throws {
        try await self.transaction { connection in try await entry.write(on: connection) }
    }
}
