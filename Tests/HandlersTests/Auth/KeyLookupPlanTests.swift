import Foundation
import Handlers
import Storage
import Testing

/// The key lookup behind authentication (``KeyDirectory/lookupQuery(prefix:hash:)``) against
/// real PostgreSQL with a realistic `api_keys` table (20,000 keys, 1 in 50 inside a rotation's
/// grace period, statistics gathered by `ANALYZE`): both of its lookups, by prefix and by the
/// previous key's hash, are index scans, so an unknown prefix never reads the whole table.
@Suite("Key lookup plan", .serialized)
struct KeyLookupPlanTests {
    static let keyCount = 20_000

    @Test(
        "Known prefix, rotated-away key and made-up key: the plan has no Seq Scan on api_keys and uses both indexes",
        arguments: ["known prefix", "previous key", "unknown"]
    )
    func lookupUsesIndexes(_ lookup: String) async throws {
        try await MigratedDatabase.with { pool in
            let adminID = try await Self.fill(pool)
            let (prefix, hash): (String, [UInt8]) =
                switch lookup {
                case "known prefix": ("adm_plan777", Array(repeating: 1, count: 32))
                case "previous key": ("adm_unknown", try await Self.previousHash(of: 1_000, in: pool))
                default: ("adm_unknown", Array(repeating: 2, count: 32))
                }
            let query = KeyDirectory.lookupQuery(prefix: prefix, hash: hash)

            let plan = try await pool.withAdminTransaction { connection in
                let rows = try await connection.query(
                    PostgresQuery(unsafeSQL: "EXPLAIN (COSTS OFF) " + query.sql, binds: query.binds))
                return try rows.map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
            }
            let found = try await pool.withAdminTransaction { connection in
                try await connection.query(query).map { try $0.decode("id", as: UUID.self) }
            }

            #expect(!plan.contains("Seq Scan on api_keys"), "\(plan)")
            #expect(plan.contains("api_keys_prefix_key"), "\(plan)")
            #expect(plan.contains("api_keys_previous_key_hash_idx"), "\(plan)")
            switch lookup {
            case "unknown":
                #expect(found.isEmpty)
            default:
                #expect(found.count == 1)
                let owner = try await pool.withAdminTransaction { connection in
                    try await connection.query("SELECT admin_id, prefix FROM api_keys WHERE id = \(found[0])")
                }
                #expect(try owner[0].decode("admin_id", as: UUID.self) == adminID)
                let expectedPrefix = lookup == "known prefix" ? "adm_plan777" : "adm_plan1000"
                #expect(try owner[0].decode("prefix", as: String.self) == expectedPrefix)
            }
        }
    }

    /// Inserts one SUPER admin with ``keyCount`` keys (every 50th in a grace period) and
    /// analyses the table; the admin's id.
    static func fill(_ pool: PostgresPool) async throws -> UUID {
        let adminID = UUID()
        try await pool.withAdminTransaction { connection in
            _ = try await connection.execute(
                "INSERT INTO admin_users (id, email, role) VALUES (\(adminID), 'plan@example.com', 'SUPER')")
            _ = try await connection.execute(
                """
                INSERT INTO api_keys (owner_kind, admin_id, label, prefix, last_four, key_hash,
                                      previous_key_hash, previous_key_valid_until)
                SELECT 'admin', \(adminID), 'key ' || g, 'adm_plan' || g, 'abcd', sha256(('new' || g)::bytea),
                       CASE WHEN g % 50 = 0 THEN sha256(('old' || g)::bytea) END,
                       CASE WHEN g % 50 = 0 THEN now() + interval '1 hour' END
                FROM generate_series(1, \(Self.keyCount)) g
                """)
        }
        try await pool.execute("ANALYZE api_keys")
        return adminID
    }

    /// The previous-key hash ``fill(_:)`` gave key number `number` (a multiple of 50).
    static func previousHash(of number: Int, in pool: PostgresPool) async throws -> [UInt8] {
        let rows = try await pool.query("SELECT sha256(('old' || \(String(number)))::bytea) AS hash")
        return try rows[0].decode("hash", as: [UInt8].self)
    }
}
