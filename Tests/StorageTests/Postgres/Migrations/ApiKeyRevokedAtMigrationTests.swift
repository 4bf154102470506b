import Foundation
import Testing

@testable import Storage

@Suite("Migration 0003: api_keys.revoked_at")
struct ApiKeyRevokedAtMigrationTests {
    /// The migrations before 0003.
    private static let beforeRevokedAt = Migration.metaChat.filter { $0.version < 3 }

    @Test("Keys revoked before 0003 get the latest of created, rotated and last used; active keys get none")
    func backfillsRevokedKeys() async throws {
        try await TestSchema.with(options: .testing(maximumConnections: 1)) { pool, _ in
            _ = try await Migrator(migrations: Self.beforeRevokedAt).migrate(on: pool)
            let created = try Self.date("2024-01-01T00:00:00Z")
            let rotated = try Self.date("2024-02-01T00:00:00Z")
            let used = try Self.date("2024-03-01T00:00:00Z")
            let (active, revokedUnused, revokedUsed) = try await pool.withAdminTransaction { connection in
                let tenant = try await connection.query("INSERT INTO tenants (name) VALUES ('t') RETURNING id")[0]
                    .decode("id", as: UUID.self)
                var ids: [UUID] = []
                for (active, rotatedAt, lastUsedAt) in [
                    (true, nil, used), (false, rotated, nil), (false, rotated, used),
                ] {
                    ids.append(
                        try await connection.query(
                            """
                            INSERT INTO api_keys (owner_kind, tenant_id, label, prefix, last_four, key_hash, active,
                                                  created_at, rotated_at, last_used_at)
                            VALUES ('tenant', \(tenant), \(UUID().uuidString), \("ten_" + UUID().uuidString), 'wxyz',
                                    \([UInt8](repeating: 1, count: 32)), \(active), \(created), \(rotatedAt as Date?),
                                    \(lastUsedAt as Date?))
                            RETURNING id
                            """
                        )[0].decode("id", as: UUID.self)
                    )
                }
                return (ids[0], ids[1], ids[2])
            }

            _ = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)

            let revokedAt = try await pool.withAdminTransaction { connection in
                try await connection.query("SELECT id, revoked_at FROM api_keys").reduce(into: [UUID: Date?]()) {
                    $0[try $1.decode("id", as: UUID.self)] = try $1.decode("revoked_at", as: Date?.self)
                }
            }
            #expect(revokedAt[active] == .some(nil))
            #expect(revokedAt[revokedUnused] == rotated)
            #expect(revokedAt[revokedUsed] == used)
        }
    }

    @Test("revoked_at is set exactly while a key is inactive: PostgreSQL refuses rows that disagree")
    func revokedAtMatchesActive() async throws {
        try await TestSchema.with(options: .testing(maximumConnections: 1)) { pool, _ in
            _ = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)
            let tenant = try await pool.withAdminTransaction { connection in
                try await connection.query("INSERT INTO tenants (name) VALUES ('t') RETURNING id")[0]
                    .decode("id", as: UUID.self)
            }
            for (active, revokedAt) in [(false, nil), (true, Date())] as [(Bool, Date?)] {
                let error = await #expect(throws: PostgresError.self) {
                    try await pool.withAdminTransaction { connection in
                        try await connection.execute(
                            """
                            INSERT INTO api_keys (owner_kind, tenant_id, label, prefix, last_four, key_hash, active,
                                                  revoked_at)
                            VALUES ('tenant', \(tenant), 'k', \("ten_" + UUID().uuidString), 'wxyz',
                                    \([UInt8](repeating: 1, count: 32)), \(active), \(revokedAt))
                            """
                        )
                    }
                }
                #expect(error?.sqlState == "23514", "active \(active) with revoked_at \(String(describing: revokedAt))")
            }
        }
    }

    private static func date(_ text: String) throws -> Date {
        try #require(ISO8601DateFormatter().date(from: text))
    }
}
