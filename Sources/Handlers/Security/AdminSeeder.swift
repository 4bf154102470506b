package import FoundationEssentials
internal import RPCServer
package import Storage

/// What `metachat seed-admin` does: makes sure a SUPER admin with an email exists and gives it a
/// key with a label, creating the key or, when an active key already has that label, rotating it
/// (same key id, new secret, `rotatedAt` set). Uses the same stores as ``SecurityHandler``.
///
/// ```swift
/// let seeded = try await AdminSeeder(pool: pool, pepper: pepper.bytes).seed(email: "ops@example.com", label: "ci")
/// print(seeded.apiKey)  // shown once
/// ```
package struct AdminSeeder: Sendable {
    private let adminUsers: AdminUserStore
    private let apiKeys: ApiKeyStore
    private let pool: PostgresPool
    private let keyEvents: any KeyChangeListener

    /// The audit-log actor of the command.
    package static let actorName = "seed-admin"

    /// The outcome of seeding.
    package struct Seeded: Sendable, Hashable {
        /// The admin user's id.
        package var adminID: UUID
        /// The key's id; the same on every run with the same email and label.
        package var keyID: UUID
        /// The key's plaintext, shown once.
        package var apiKey: String
        /// Whether this run created the admin user.
        package var createdAdmin: Bool
        /// Whether this run rotated an existing key (rather than creating one).
        package var rotatedKey: Bool
    }

    /// Creates a seeder.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated to the identity schema.
    ///   - pepper: The server's pepper.
    ///   - keyEvents: Told about the key change; a no-op unless given.
    package init(pool: PostgresPool, pepper: [UInt8], keyEvents: any KeyChangeListener = NoKeyChangeListener()) {
        self.pool = pool
        self.adminUsers = AdminUserStore(pool: pool)
        self.apiKeys = ApiKeyStore(pool: pool, pepper: pepper)
        self.keyEvents = keyEvents
    }

    /// Whether the database has the identity schema (`metachat migrate` has run).
    ///
    /// - Throws: ``PostgresError`` when PostgreSQL cannot be asked.
    package func schemaIsPresent() async throws -> Bool {
        let rows = try await self.pool.query(
            "SELECT to_regclass('admin_users') IS NOT NULL AND to_regclass('api_keys') IS NOT NULL AS present")
        return try rows[0].decode("present", as: Bool.self)
    }

    /// Creates or finds the SUPER admin and creates or rotates its key with the label.
    ///
    /// - Throws: `RPCError` with `INVALID_ARGUMENT` for a bad email or label, `FAILED_PRECONDITION`
    ///   when the email belongs to a STANDARD admin or the labelled key has expired, `UNAVAILABLE` when PostgreSQL is down.
    package func seed(email: String, label: String) async throws -> Seeded {
        let email = try SecurityInput.email(email)
        let label = try SecurityInput.label(label)
        let actor = AuditActor(name: Self.actorName)
        var createdAdmin = false
        let admin: AdminUserRecord
        if let existing = try await self.adminUsers.find(email: email) {
            guard existing.role == "SUPER" else {
                throw RPCError(
                    code: .failedPrecondition, message: "\(existing.email) is a STANDARD admin, not a SUPER admin.")
            }
            admin = existing
        } else {
            admin = try await self.adminUsers.create(email: email, role: "SUPER", actor: actor)
            createdAdmin = true
        }
        let owner = ApiKeyOwner.admin(admin.id)
        let issued: ApiKeyStore.IssuedKey
        var rotated = false
        if let key = try await self.apiKeys.findActive(owner: owner, label: label) {
            guard key.unexpired else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "The key labelled \(label) has expired; revoke it or choose another label.")
            }
            let (token, _) = try await self.apiKeys.startRotation(
                owner: owner, keyID: key.id, lifetime: .seconds(60), actor: actor)
            issued = try await self.apiKeys.confirmRotation(
                owner: owner, keyID: key.id, token: token, gracePeriod: .zero, actor: actor)
            rotated = true
        } else {
            issued = try await self.apiKeys.create(owner: owner, label: label, expiresAt: nil, actor: actor)
        }
        await self.keyEvents.keyChanged(keyID: issued.record.id.lowercasedString)
        return Seeded(
            adminID: admin.id, keyID: issued.record.id, apiKey: issued.material.plaintext,
            createdAdmin: createdAdmin, rotatedKey: rotated)
    }
}
