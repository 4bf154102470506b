import Foundation
import Storage
import Testing

@Suite("Row-level security")
struct RowLevelSecurityTests {
    @Test("A tenant transaction sets app.tenant_id and shows only that tenant's rows to the app role")
    func tenantTransactionIsolatesTenants() async throws {
        try await TestSchema.with { pool, _ in
            _ = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)
            let role = try await pool.query(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            #expect(try role[0].decode("rolsuper", as: Bool.self) == false)
            #expect(try role[0].decode("rolbypassrls", as: Bool.self) == false)
            let (tenantA, tenantB) = try await Self.seedTwoTenants(pool)

            let (setting, keyOwners, tenantIDs) = try await pool.withTenantTransaction(tenantID: tenantA) {
                connection in
                let setting = try await connection.query("SELECT current_setting('app.tenant_id') AS value")
                let keys = try await connection.query("SELECT tenant_id FROM api_keys")
                let tenants = try await connection.query("SELECT id FROM tenants")
                return (
                    try setting[0].decode("value", as: String.self),
                    try keys.map { try $0.decode("tenant_id", as: UUID.self) },
                    try tenants.map { try $0.decode("id", as: UUID.self) }
                )
            }

            #expect(setting == tenantA.uuidString.lowercased())
            #expect(keyOwners == [tenantA])
            #expect(tenantIDs == [tenantA])
            let seenByB = try await pool.withTenantTransaction(tenantID: tenantB) { connection in
                try await connection.query("SELECT label FROM api_keys").map { try $0.decode("label", as: String.self) }
            }
            #expect(seenByB == ["key of b"])
        }
    }

    @Test("Without a scope the tenant-owned tables look empty; the admin scope sees every tenant")
    func scopesDecideVisibility() async throws {
        try await TestSchema.with { pool, _ in
            _ = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)
            _ = try await Self.seedTwoTenants(pool)

            let unscoped = try await pool.query("SELECT count(*) AS n FROM api_keys")
            let unscopedTenants = try await pool.query("SELECT count(*) AS n FROM tenants")
            let admin = try await pool.withAdminTransaction { connection in
                try await connection.query("SELECT count(*) AS n FROM api_keys")[0].decode("n", as: Int.self)
            }

            #expect(try unscoped[0].decode("n", as: Int.self) == 0)
            #expect(try unscopedTenants[0].decode("n", as: Int.self) == 0)
            #expect(admin == 2)
        }
    }

    @Test("A tenant cannot write a row for another tenant, and the scope ends with its transaction")
    func tenantCannotWriteForAnotherTenant() async throws {
        try await TestSchema.with(options: .testing(maximumConnections: 1)) { pool, _ in
            _ = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)
            let (tenantA, tenantB) = try await Self.seedTwoTenants(pool)

            let error = await #expect(throws: PostgresError.self) {
                try await pool.withTenantTransaction(tenantID: tenantA) { connection in
                    try await connection.execute(
                        """
                        INSERT INTO api_keys (owner_kind, tenant_id, label, prefix, last_four, key_hash)
                        VALUES ('tenant', \(tenantB), 'planted', \("mc_planted"), 'abcd', \([UInt8](repeating: 7, count: 32)))
                        """
                    )
                }
            }
            let after = try await pool.query("SELECT current_setting('app.tenant_id', true) AS value")

            #expect(error?.sqlState == "42501")
            #expect(try after[0].decode("value", as: String?.self) ?? "" == "")
        }
    }

    /// Two tenants with one API key each, written in the admin scope.
    private static func seedTwoTenants(_ pool: PostgresPool) async throws -> (UUID, UUID) {
        try await pool.withAdminTransaction { connection in
            let a = try await connection.query("INSERT INTO tenants (name) VALUES ('a') RETURNING id")[0]
                .decode("id", as: UUID.self)
            let b = try await connection.query("INSERT INTO tenants (name) VALUES ('b') RETURNING id")[0]
                .decode("id", as: UUID.self)
            for (tenant, label) in [(a, "key of a"), (b, "key of b")] {
                try await connection.execute(
                    """
                    INSERT INTO api_keys (owner_kind, tenant_id, label, prefix, last_four, key_hash)
                    VALUES ('tenant', \(tenant), \(label), \("mc_" + UUID().uuidString), 'wxyz', \([UInt8](repeating: 1, count: 32)))
                    """
                )
            }
            return (a, b)
        }
    }
}
