package import FoundationEssentials
internal import Storage

/// A row of `dashboard_users`.
package struct DashboardUser: Sendable, Hashable {
    /// The user's id.
    package var id: UUID
    /// The sign-in email, as entered at creation.
    package var email: String
    /// What the user may do.
    package var role: DashboardRole
    /// The one tenant of a tenant-scoped role; `nil` for a super admin.
    package var tenantID: UUID?
    /// The stored password hash.
    package var passwordHash: PasswordHash
    /// Whether the user is disabled (cannot sign in; sessions end).
    package var isDisabled: Bool

    /// The columns ``init(row:)`` reads.
    static let columns: StaticString = "id, email, role, tenant_id, password_hash, disabled_at IS NOT NULL AS disabled"

    /// Reads a row selected with ``columns``.
    init(row: PostgresRow) throws {
        self.id = try row.decode("id")
        self.email = try row.decode("email")
        let roleName: String = try row.decode("role")
        guard let role = DashboardRole(name: roleName) else {
            throw DashboardStorageError(message: "dashboard_users.role holds an unknown role")
        }
        self.role = role
        self.tenantID = try row.decode("tenant_id")
        self.passwordHash = PasswordHash(stored: try row.decode("password_hash"))
        self.isDisabled = try row.decode("disabled")
    }
}

/// A stored row does not have the shape the code expects.
struct DashboardStorageError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}
