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
                SELECT \(unescaped: AdminUserRecord.columns) FROM admin_users ORDER BY lower(email), id
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
                actor: actor.name, action: "admin_user.created", target: user.id.lowercasedString,
                requestID: actor.requestID, details: ["role": role]
            ).write(on: connection)
            return user
        }
    }

    /// The admin user with this email (compared case-insensitively), if any.
    func find(email: String) async throws -> AdminUserRecord? {
        try await self.pool.securityTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: AdminUserRecord.columns) FROM admin_users WHERE lower(email) = lower(\(email))
                """
            )
            return try rows.first.map(AdminUserRecord.init(row:))
        }
    }

    /// Grants a STANDARD admin access to a tenant's data; an existing grant stays as it is.
    ///
    /// - Returns: The admin user with its grants, or `nil` when no admin user has `adminID`.
    /// - Throws: `FAILED_PRECONDITION` for a SUPER admin, `NOT_FOUND` for an unknown tenant.
    func grant(adminID: UUID, tenantID: UUID, actor: AuditActor) async throws -> AdminUserRecord? {
        try await self.pool.securityTransaction { connection in
            let admins = try await connection.query("SELECT role FROM admin_users WHERE id = \(adminID) FOR UPDATE")
            guard let admin = admins.first else { return nil }
            guard try admin.decode("role", as: String.self) == "STANDARD" else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "Admin user \(adminID.lowercasedString) is a SUPER admin and reaches every tenant.")
            }
            let tenants = try await connection.query("SELECT 1 AS found FROM tenants WHERE id = \(tenantID)")
            guard !tenants.isEmpty else {
                throw RPCError(code: .notFound, message: "Tenant \(tenantID.lowercasedString) was not found.")
            }
            let inserted = try await connection.execute(
                """
                INSERT INTO admin_tenant_grants (admin_id, tenant_id) VALUES (\(adminID), \(tenantID))
                ON CONFLICT DO NOTHING
                """
            )
            if inserted > 0 {
                try await AuditEntry(
                    actor: actor.name, action: "admin_user.tenant_granted", target: adminID.lowercasedString,
                    tenantID: tenantID, requestID: actor.requestID
                ).write(on: connection)
            }
            return try await Self.read(adminID, on: connection)
        }
    }

    /// Withdraws a grant; withdrawing one that does not exist changes nothing.
    ///
    /// - Returns: The admin user with its remaining grants, or `nil` when no admin user has
    ///   `adminID`.
    func revokeGrant(adminID: UUID, tenantID: UUID, actor: AuditActor) async throws -> AdminUserRecord? {
        try await self.pool.securityTransaction { connection in
            let admins = try await connection.query(
                "SELECT 1 AS found FROM admin_users WHERE id = \(adminID) FOR UPDATE")
            guard !admins.isEmpty else { return nil }
            let deleted = try await connection.execute(
                "DELETE FROM admin_tenant_grants WHERE admin_id = \(adminID) AND tenant_id = \(tenantID)"
            )
            if deleted > 0 {
                try await AuditEntry(
                    actor: actor.name, action: "admin_user.tenant_revoked", target: adminID.lowercasedString,
                    tenantID: tenantID, requestID: actor.requestID
                ).write(on: connection)
            }
            return try await Self.read(adminID, on: connection)
        }
    }

    private static func read(_ adminID: UUID, on connection: PostgresConnection) async throws -> AdminUserRecord? {
        let rows = try await connection.query(
            "SELECT \(unescaped: AdminUserRecord.columns) FROM admin_users WHERE id = \(adminID)")
        return try rows.first.map(AdminUserRecord.init(row:))
    }
}
