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

    /// Reads a row with the columns `id, email, role, created_at`.
    init(row: PostgresRow) throws {
        self.id = try row.decode("id")
        self.email = try row.decode("email")
        self.role = try row.decode("role")
        self.createdAt = try row.decode("created_at")
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
        user.id = self.id.uuidString.lowercased()
        user.email = self.email
        user.role = self.role == "SUPER" ? .super : .standard
        user.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
        return user
    }
}
