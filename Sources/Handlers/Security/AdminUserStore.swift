internal import FoundationEssentials
internal import RPCServer
internal import Storage

/// Reads and writes `admin_users`; every change writes its audit entry in the same transaction.
struct AdminUserStore: Sendable {
    let pool: PostgresPool

    /// One page of admin users ordered by email (case-insensitively), and whether more follow.
    func list(page: PageRequest) async throws -> (users: [AdminUserRecord], hasMore: Bool) {
        try await self.pool.securityTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT id, email, role, created_at FROM admin_users ORDER BY lower(email), id
                LIMIT \(page.size + 1) OFFSET \(page.offset)
                """
            )
            let users = try rows.map(AdminUserRecord.init(row:))
            return (Array(users.prefix(page.size)), users.count > page.size)
        }
    }

    /// Creates an admin user.
    ///
    /// - Throws: `ALREADY_EXISTS` when the email is taken whatever its case.
    func create(email: String, role: String, actor: AuditActor) async throws -> AdminUserRecord {
        try await self.pool.securityTransaction { connection in
            let rows = try await connection.query(
                "INSERT INTO admin_users (email, role) VALUES (\(email), \(role)) RETURNING id, email, role, created_at"
            )
            let user = try AdminUserRecord(row: rows[0])
            try await AuditEntry(
                actor: actor.name, action: "admin_user.created", target: user.id.uuidString.lowercased(),
                requestID: actor.requestID, details: ["role": role]
            ).write(on: connection)
            return user
        }
    }

    /// The admin user with this email (compared case-insensitively), if any.
    func find(email: String) async throws -> AdminUserRecord? {
        try await self.pool.securityTransaction { connection in
            let rows = try await connection.query(
                "SELECT id, email, role, created_at FROM admin_users WHERE lower(email) = lower(\(email))"
            )
            return try rows.first.map(AdminUserRecord.init(row:))
        }
    }
}
