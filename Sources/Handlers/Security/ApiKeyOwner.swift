internal import FoundationEssentials
internal import Storage

/// Whose API key a call is about: an admin user's or a tenant's.
enum ApiKeyOwner: Sendable, Hashable {
    /// An admin user's key.
    case admin(UUID)
    /// A tenant's key.
    case tenant(UUID)

    /// The owner's id.
    var id: UUID {
        switch self {
        case .admin(let id), .tenant(let id): id
        }
    }

    /// The `owner_kind` column's value.
    var kind: String {
        switch self {
        case .admin: "admin"
        case .tenant: "tenant"
        }
    }

    /// The kind of key material the owner gets.
    var materialKind: ApiKeyMaterial.Kind {
        switch self {
        case .admin: .admin
        case .tenant: .tenant
        }
    }

    /// The tenant an audit entry concerns, for tenant keys.
    var tenantID: UUID? {
        switch self {
        case .admin: nil
        case .tenant(let id): id
        }
    }

    /// How the owner is named in error messages.
    var noun: String {
        switch self {
        case .admin(let id): "admin user \(id.lowercasedString)"
        case .tenant(let id): "tenant \(id.lowercasedString)"
        }
    }
}
