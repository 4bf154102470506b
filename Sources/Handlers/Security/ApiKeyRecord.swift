internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// What is stored about an API key, as read from `api_keys` (never the hash).
struct ApiKeyRecord: Sendable, Hashable {
    var id: UUID
    var ownerKind: String
    var ownerID: UUID
    var label: String
    var prefix: String
    var lastFour: String
    /// False once revoked.
    var notRevoked: Bool
    /// False once `expires_at` has passed.
    var unexpired: Bool
    var createdAt: Date
    var lastUsedAt: Date?
    var rotatedAt: Date?
    var expiresAt: Date?
    /// When the key was revoked; nil while it is not.
    var revokedAt: Date?
    /// When the pending rotation token expires, while one is pending and unexpired.
    var rotationExpiresAt: Date?

    /// The columns every query about keys selects or returns, in the names ``init(row:)`` reads.
    /// Constant text: it contains no values.
    static let columns = """
        id, owner_kind, coalesce(admin_id, tenant_id) AS owner_id, label, prefix, last_four, active, \
        (expires_at IS NULL OR expires_at > now()) AS unexpired, created_at, last_used_at, rotated_at, expires_at, \
        revoked_at, \
        CASE WHEN pending_rotation_expires_at > now() THEN pending_rotation_expires_at END AS rotation_expires_at
        """

    /// Reads a row selected with ``columns``.
    init(row: PostgresRow) throws {
        self.id = try row.decode("id")
        self.ownerKind = try row.decode("owner_kind")
        self.ownerID = try row.decode("owner_id")
        self.label = try row.decode("label")
        self.prefix = try row.decode("prefix")
        self.lastFour = try row.decode("last_four")
        self.notRevoked = try row.decode("active")
        self.unexpired = try row.decode("unexpired")
        self.createdAt = try row.decode("created_at")
        self.lastUsedAt = try row.decode("last_used_at")
        self.rotatedAt = try row.decode("rotated_at")
        self.expiresAt = try row.decode("expires_at")
        self.revokedAt = try row.decode("revoked_at")
        self.rotationExpiresAt = try row.decode("rotation_expires_at")
    }

    /// The key's metadata as the API shows it.
    var message: Metachat_V1_ApiKey {
        var key = Metachat_V1_ApiKey()
        key.id = self.id.lowercasedString
        key.ownerKind = self.ownerKind == "admin" ? .admin : .tenant
        key.ownerID = self.ownerID.lowercasedString
        key.label = self.label
        key.prefix = self.prefix
        key.lastFour = self.lastFour
        key.active = self.notRevoked && self.unexpired
        key.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
        if let lastUsedAt = self.lastUsedAt {
            key.lastUsedAt = Google_Protobuf_Timestamp(date: lastUsedAt)
        }
        if let rotatedAt = self.rotatedAt {
            key.rotatedAt = Google_Protobuf_Timestamp(date: rotatedAt)
        }
        if let expiresAt = self.expiresAt {
            key.expiresAt = Google_Protobuf_Timestamp(date: expiresAt)
        }
        if let revokedAt = self.revokedAt {
            key.revokedAt = Google_Protobuf_Timestamp(date: revokedAt)
        }
        key.rotationPending = self.rotationExpiresAt != nil
        if let rotationExpiresAt = self.rotationExpiresAt {
            key.rotationExpiresAt = Google_Protobuf_Timestamp(date: rotationExpiresAt)
        }
        return key
    }
}
