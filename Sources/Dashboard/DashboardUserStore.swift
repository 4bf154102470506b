package import FoundationEssentials
internal import Handlers
internal import RPCServer
package import Storage

/// Reads and writes `dashboard_users`; every change is audited in its own transaction, and a
/// password or role change deletes all of the user's sessions in that same transaction.
package struct DashboardUserStore: Sendable {
    private let pool: PostgresPool

    /// Creates the store.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Creates a user.
    ///
    /// - Parameters:
    ///   - email: The sign-in email.
    ///   - role: The role.
    ///   - tenantID: The tenant of a tenant-scoped role; must be `nil` for a super admin.
    ///   - password: The hash of the password.
    ///   - actor: Who creates it, for the audit log (`cli` from `metachat dashboard-user create`).
    /// - Throws: `INVALID_ARGUMENT` naming the field at fault, `NOT_FOUND` for an unknown tenant,
    ///   `ALREADY_EXISTS` when the email is taken whatever its case.
    package func create(
        email: String, role: DashboardRole, tenantID: UUID?, password: PasswordHash, actor: String
    ) async throws -> DashboardUser {
        let email = try Self.checkEmail(email)
        if role.isTenantScoped, tenantID == nil {
            throw RPCError(code: .invalidArgument, message: "tenant: a \(role.label.lowercased()) needs a tenant.")
        }
        if !role.isTenantScoped, tenantID != nil {
            throw RPCError(code: .invalidArgument, message: "tenant: a super admin belongs to no tenant.")
        }
        return try await self.transaction { connection in
            if let tenantID {
                let tenants = try await connection.query("SELECT 1 AS found FROM tenants WHERE id = \(tenantID)")
                guard !tenants.isEmpty else {
                    throw RPCError(
                        code: .notFound, message: "tenant: tenant \(tenantID.lowercasedString) was not found.")
                }
            }
            let existing = try await connection.query(
                "SELECT 1 AS found FROM dashboard_users WHERE lower(email) = lower(\(email))")
            guard existing.isEmpty else {
                throw RPCError(code: .alreadyExists, message: "email: a dashboard user with this email already exists.")
            }
            let rows = try await connection.query(
                """
                INSERT INTO dashboard_users (email, role, tenant_id, password_hash)
                VALUES (\(email), \(role.name), \(tenantID), \(password.text))
                RETURNING \(unescaped: DashboardUser.columns)
                """
            )
            let user = try DashboardUser(row: rows[0])
            try await DashboardAuditEntry(
                actor: actor, action: "dashboard.user.created", target: user.id.lowercasedString, tenantID: tenantID,
                clientAddress: "local", details: ["role": role.name, "email": email]
            ).write(on: connection)
            return user
        }
    }

    /// The user with this email (compared case-insensitively), if any.
    package func find(email: String) async throws -> DashboardUser? {
        guard email.utf8.count <= 254 else { return nil }
        return try await self.transaction { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: DashboardUser.columns) FROM dashboard_users WHERE lower(email) = lower(\(email))")
            return try rows.first.map(DashboardUser.init(row:))
        }
    }

    /// Sets a user's password and ends every session of the user.
    ///
    /// - Returns: How many sessions ended, or `nil` when no user has `id`.
    package func changePassword(id: UUID, to password: PasswordHash, actor: String) async throws -> Int? {
        try await self.transaction { connection in
            let updated = try await connection.execute(
                "UPDATE dashboard_users SET password_hash = \(password.text) WHERE id = \(id)")
            guard updated == 1 else { return nil }
            let ended = try await connection.execute("DELETE FROM dashboard_sessions WHERE user_id = \(id)")
            try await DashboardAuditEntry(
                actor: actor, action: "dashboard.user.password_changed", target: id.lowercasedString,
                clientAddress: "local", details: ["sessionsEnded": String(ended)]
            ).write(on: connection)
            return ended
        }
    }

    /// Sets a user's role (and tenant) and ends every session of the user.
    ///
    /// - Returns: How many sessions ended, or `nil` when no user has `id`.
    /// - Throws: `INVALID_ARGUMENT` when role and tenant do not fit together.
    package func changeRole(id: UUID, to role: DashboardRole, tenantID: UUID?, actor: String) async throws -> Int? {
        guard role.isTenantScoped == (tenantID != nil) else {
            throw RPCError(
                code: .invalidArgument,
                message: role.isTenantScoped
                    ? "tenant: a \(role.label.lowercased()) needs a tenant."
                    : "tenant: a super admin belongs to no tenant.")
        }
        return try await self.transaction { connection in
            let updated = try await connection.execute(
                "UPDATE dashboard_users SET role = \(role.name), tenant_id = \(tenantID) WHERE id = \(id)")
            guard updated == 1 else { return nil }
            let ended = try await connection.execute("DELETE FROM dashboard_sessions WHERE user_id = \(id)")
            try await DashboardAuditEntry(
                actor: actor, action: "dashboard.user.role_changed", target: id.lowercasedString, tenantID: tenantID,
                clientAddress: "local", details: ["role": role.name, "sessionsEnded": String(ended)]
            ).write(on: connection)
            return ended
        }
    }

    /// Checks an email's shape: trimmed, 3–254 bytes, one `@` with text on both sides.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `email`.
    package static func checkEmail(_ email: String) throws -> String {
        let trimmed = String(email.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard (3...254).contains(trimmed.utf8.count), parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !trimmed.contains(where: { $0.isWhitespace || $0.isNewline || ($0.asciiValue.map { $0 < 0x20 } ?? false) })
        else {
            throw RPCError(
                code: .invalidArgument, message: "email: must look like name@example.com (at most 254 bytes).")
        }
        return trimmed
    }

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
