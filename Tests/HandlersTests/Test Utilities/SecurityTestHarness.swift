import Foundation
import Handlers
import Logging
import MetaChatAPI
import RPCServer
import Storage

/// A migrated schema of its own in the test database, a ``SecurityHandler`` on it, and helpers to
/// call it as different principals and to look at what it stored.
///
/// Each test gets a fresh schema (`CREATE SCHEMA`, migrated with the Storage `Migrator`, dropped
/// afterwards), so tests run in parallel without seeing each other's rows. (StorageTests has the
/// same idea in its `TestSchema`; test targets cannot share code without a support target.)
struct SecurityTestHarness {
    let pool: PostgresPool
    let pepper: [UInt8]
    let events: RecordingKeyChangeListener
    let handler: SecurityHandler

    /// Runs `body` against a freshly migrated schema.
    ///
    /// - Parameters:
    ///   - rotationTokenLifetime: The handler's default token lifetime.
    ///   - rotationGracePeriod: The handler's grace period for replaced secrets.
    ///   - maximumConnections: The pool's size.
    static func with<R>(
        rotationTokenLifetime: Duration = .seconds(15 * 60),
        rotationGracePeriod: Duration = .zero,
        maximumConnections: Int = 2,
        _ body: (SecurityTestHarness) async throws -> R
    ) async throws -> R {
        try await Self.gate.withPlace {
            try await Self.run(
                rotationTokenLifetime: rotationTokenLifetime, rotationGracePeriod: rotationGracePeriod,
                maximumConnections: maximumConnections, body)
        }
    }

    /// At most two harnesses at once, so these tests stay far below PostgreSQL's connection limit
    /// while the storage tests use the same server.
    private static let gate = AsyncGate(limit: 2)

    private static func run<R>(
        rotationTokenLifetime: Duration,
        rotationGracePeriod: Duration,
        maximumConnections: Int,
        _ body: (SecurityTestHarness) async throws -> R
    ) async throws -> R {
        try await MigratedDatabase.with(maximumConnections: maximumConnections) { pool in
            let pepper = Secrets.randomBytes(32)
            let events = RecordingKeyChangeListener()
            let harness = SecurityTestHarness(
                pool: pool,
                pepper: pepper,
                events: events,
                handler: SecurityHandler(
                    pool: pool, pepper: pepper, rotationTokenLifetime: rotationTokenLifetime,
                    rotationGracePeriod: rotationGracePeriod, keyEvents: events)
            )
            return try await body(harness)
        }
    }

    /// A call context whose caller is `principal` (nil: no credentials).
    static func context(_ principal: Principal?, requestID: String = "req-test") -> ServerContext {
        var context = ServerContext(
            descriptor: Metachat_V1_SecurityService.Method.createAdminApiKey,
            requestMetadata: [:],
            peer: "test",
            requestID: requestID
        )
        context.principal = principal
        return context
    }

    /// Creates an admin user through the handler as the bootstrap key; returns its id.
    func makeAdmin(email: String = "\(UUID().uuidString.lowercased())@example.com", role: Metachat_V1_AdminRole)
        async throws -> String
    {
        var request = Metachat_V1_CreateAdminUserRequest()
        request.email = email
        request.role = role
        return try await self.handler.createAdminUser(request: request, context: Self.context(.bootstrap)).id
    }

    /// Creates an admin key through the handler as the bootstrap key.
    func makeAdminKey(adminID: String, label: String = "ops") async throws -> Metachat_V1_CreateApiKeyResponse {
        var request = Metachat_V1_CreateAdminApiKeyRequest()
        request.adminID = adminID
        request.label = label
        return try await self.handler.createAdminApiKey(request: request, context: Self.context(.bootstrap))
    }

    /// Inserts a tenant directly; returns its id.
    func makeTenant(enabled: Bool = true) async throws -> String {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                INSERT INTO tenants (name, enabled, disabled_at)
                VALUES ('t', \(enabled), CASE WHEN \(enabled) THEN NULL ELSE now() END) RETURNING id
                """
            )[0].decode("id", as: UUID.self).uuidString.lowercased()
        }
    }

    /// Creates a tenant key through the handler as the bootstrap key.
    func makeTenantKey(tenantID: String, label: String = "integration") async throws
        -> Metachat_V1_CreateApiKeyResponse
    {
        var request = Metachat_V1_CreateTenantApiKeyRequest()
        request.tenantID = tenantID
        request.label = label
        return try await self.handler.createTenantApiKey(request: request, context: Self.context(.bootstrap))
    }

    /// The stored row of a key: hash, previous hash and rotation columns.
    func storedKey(_ keyID: String) async throws -> StoredKey {
        try await self.pool.withAdminTransaction { connection in
            let row = try await connection.query(
                """
                SELECT key_hash, previous_key_hash, previous_key_valid_until, rotated_at, prefix, last_four,
                pending_rotation_token_hash FROM api_keys WHERE id = \(UUID(uuidString: keyID))
                """
            )[0]
            return StoredKey(
                keyHash: try row.decode("key_hash"),
                previousKeyHash: try row.decode("previous_key_hash"),
                previousKeyValidUntil: try row.decode("previous_key_valid_until"),
                rotatedAt: try row.decode("rotated_at"),
                prefix: try row.decode("prefix"),
                lastFour: try row.decode("last_four"),
                pendingTokenHash: try row.decode("pending_rotation_token_hash")
            )
        }
    }

    /// The stored `revoked_at` of a key.
    func revokedAt(_ keyID: String) async throws -> Date? {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query("SELECT revoked_at FROM api_keys WHERE id = \(UUID(uuidString: keyID))")[0]
                .decode("revoked_at", as: Date?.self)
        }
    }

    /// The audit entries about a target, oldest first.
    func audit(target: String) async throws -> [AuditRow] {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                "SELECT actor, action, request_id, tenant_id FROM audit_log WHERE target = \(target) ORDER BY id"
            ).map {
                AuditRow(
                    actor: try $0.decode("actor"), action: try $0.decode("action"),
                    requestID: try $0.decode("request_id"), tenantID: try $0.decode("tenant_id"))
            }
        }
    }

    /// A key's stored columns, for checks.
    struct StoredKey {
        var keyHash: [UInt8]
        var previousKeyHash: [UInt8]?
        var previousKeyValidUntil: Date?
        var rotatedAt: Date?
        var prefix: String
        var lastFour: String
        var pendingTokenHash: [UInt8]?
    }

    /// One audit-log row, for checks.
    struct AuditRow: Equatable {
        var actor: String
        var action: String
        var requestID: String?
        var tenantID: UUID?
    }
}
