internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// What is stored about an admin user, as read from `admin_users`.
struct AdminUserRecord: Sendable, Hashable {
    var id: UUID
    var email: String
    /// `SUPER` or `STANDARD`.
    var role: String
    var createdAt: Date
    /// The tenants a STANDARD admin is granted (lower-case UUIDs, sorted).
    var grantedTenantIDs: [String]

    /// The columns every admin-user query selects, from `admin_users` (unaliased), in SQL.
    static let columns: StaticString = """
        id, email, role, created_at,
        (SELECT string_agg(g.tenant_id::text, ',' ORDER BY g.tenant_id::text) FROM admin_tenant_grants g
         WHERE g.admin_id = admin_users.id) AS granted_tenant_ids
        """

    /// Reads a row with ``columns`` (a row without `granted_tenant_ids` has no grants, as a
    /// freshly inserted admin user).
    init(row: PostgresRow) throws {
        self.id = try row.decode("id")
        self.email = try row.decode("email")
        self.role = try row.decode("role")
        self.createdAt = try row.decode("created_at")
        let granted =
            row.columns.contains { $0.name == "granted_tenant_ids" }
            ? try row.decode("granted_tenant_ids", as: String?.self) : nil
        self.grantedTenantIDs = granted.map { $0.split(separator: ",").map(String.init) } ?? []
    }

    /// The stored `role` text for an API role.
    static func storedRole(_ role: Metachat_V1_AdminRole) -> String? {
        switch role {
        case .super: "SUPER"
        case .standard: "STANDARD"
        default: nil
        }
    }

    /// The admin user as the API shows it.
    var message: Metachat_V1_AdminUser {
        var user = Metachat_V1_AdminUser()
        user.id = self.id.lowercasedString
        user.email = self.email
        user.role = self.role == "SUPER" ? .super : .standard
        user.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
        user.grantedTenantIds = self.grantedTenantIDs
        return user
    }
}
