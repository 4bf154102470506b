import Foundation
import Testing

@testable import Storage

@Suite("Migrator")
struct MigratorTests {
    @Test("An empty database reaches the latest schema in one run, recorded with checksums")
    func migratesEmptyDatabase() async throws {
        try await TestSchema.with { pool, schema in
            let report = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)

            #expect(report.applied.map(\.fileName) == Migration.metaChat.map(\.fileName))
            #expect(report.previouslyApplied.isEmpty)
            let tables = try await pool.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = \(schema) ORDER BY table_name")
            #expect(
                try tables.map { try $0.decode("table_name", as: String.self) }
                    == [
                        "admin_tenant_grants", "admin_users", "api_keys", "api_logs", "api_logs_archive", "audit_log",
                        "channel_inbound", "channel_inbound_messages", "channel_outbox", "channels", "chat_requests",
                        "chat_usage_daily", "conversation_event_counters", "conversation_events", "conversation_notes",
                        "conversations", "dashboard_sessions", "dashboard_users", "document_chunks", "documents",
                        "ingest_jobs",
                        "messages",
                        "messages_archive", "outbox_events", "retention_runs", "schema_migrations", "tenants",
                        "webhook_deliveries", "webhook_delivery_attempts", "webhook_endpoints",
                    ]
            )
            let recorded = try await pool.query("SELECT file_name, checksum FROM schema_migrations ORDER BY version")
            #expect(
                try recorded.map { try $0.decode("checksum", as: String.self) } == Migration.metaChat.map(\.checksum))
        }
    }

    @Test("Running again applies nothing")
    func secondRunIsNoOp() async throws {
        try await TestSchema.with { pool, _ in
            let migrator = try Migrator(migrations: Migration.metaChat)
            _ = try await migrator.migrate(on: pool)

            let second = try await migrator.migrate(on: pool)

            #expect(second.applied.isEmpty)
            #expect(second.previouslyApplied == Migration.metaChat.map(\.version))
            let count = try await pool.query("SELECT count(*) AS n FROM schema_migrations")
            #expect(try count[0].decode("n", as: Int.self) == Migration.metaChat.count)
        }
    }

    @Test("Two migrators at once both succeed and the schema is applied once")
    func concurrentMigrators() async throws {
        let migrations = [
            Migration(version: 1, fileName: "0001_slow.sql", sql: "CREATE TABLE first (id int); SELECT pg_sleep(0.5);"),
            Migration(version: 2, fileName: "0002_second.sql", sql: "CREATE TABLE second (id int);"),
        ]
        try await TestSchema.with { pool, schema in
            let other = TestSchema.pool(url: try TestEnvironment.databaseURL(), searchPath: [schema])
            let migrator = try Migrator(migrations: migrations)

            async let one = migrator.migrate(on: pool)
            async let two = migrator.migrate(on: other)
            let reports = try await [one, two]
            await other.shutdown()

            #expect(reports.map(\.applied.count).sorted() == [0, 2])
            #expect(reports.allSatisfy { $0.currentVersion == 2 })
            let count = try await pool.query("SELECT count(*) AS n FROM schema_migrations")
            #expect(try count[0].decode("n", as: Int.self) == 2)
        }
    }

    @Test("A migration changed after it was applied is refused, naming the file, and nothing else runs")
    func changedChecksumIsRefused() async throws {
        try await TestSchema.with { pool, schema in
            let original = Migration(version: 1, fileName: "0001_people.sql", sql: "CREATE TABLE people (id int);")
            _ = try await Migrator(migrations: [original]).migrate(on: pool)
            let edited = Migration(version: 1, fileName: "0001_people.sql", sql: "CREATE TABLE people (id bigint);")
            let next = Migration(version: 2, fileName: "0002_pets.sql", sql: "CREATE TABLE pets (id int);")

            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: [edited, next]).migrate(on: pool)
            }

            #expect(error?.code == .checksumMismatch)
            #expect(error?.fileName == "0001_people.sql")
            #expect(error?.message.contains("0001_people.sql") == true)
            let pets = try await pool.query("SELECT to_regclass(\(schema + ".pets"))::text AS name")
            #expect(try pets[0].decode("name", as: String?.self) == nil)
        }
    }

    @Test("A failing migration is rolled back and named; the ones before it stay applied")
    func failingMigrationRollsBack() async throws {
        try await TestSchema.with { pool, schema in
            let migrations = [
                Migration(version: 1, fileName: "0001_good.sql", sql: "CREATE TABLE good (id int);"),
                Migration(
                    version: 2, fileName: "0002_bad.sql",
                    sql: "CREATE TABLE half (id int); INSERT INTO missing_table VALUES (1);"),
            ]

            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: migrations).migrate(on: pool)
            }

            #expect(error?.code == .migrationFailed)
            #expect(error?.fileName == "0002_bad.sql")
            #expect(error?.underlying?.sqlState == "42P01")
            let tables = try await pool.query(
                "SELECT to_regclass(\(schema + ".good"))::text AS good, to_regclass(\(schema + ".half"))::text AS half")
            #expect(try tables[0].decode("good", as: String?.self) != nil)
            #expect(try tables[0].decode("half", as: String?.self) == nil)
            let versions = try await pool.query("SELECT version FROM schema_migrations")
            #expect(try versions.map { try $0.decode("version", as: Int.self) } == [1])
        }
    }

    @Test("A database with a migration this build does not know is refused")
    func unknownAppliedMigrationIsRefused() async throws {
        try await TestSchema.with { pool, _ in
            let first = Migration(version: 1, fileName: "0001_a.sql", sql: "CREATE TABLE a (id int);")
            let second = Migration(version: 2, fileName: "0002_b.sql", sql: "CREATE TABLE b (id int);")
            _ = try await Migrator(migrations: [first, second]).migrate(on: pool)

            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: [first]).migrate(on: pool)
            }

            #expect(error?.code == .unknownAppliedMigration)
            #expect(error?.fileName == "0002_b.sql")
        }
    }

    @Test("Two migrations with the same version are rejected before touching the database")
    func duplicateVersionsAreRejected() {
        let migrations = [
            Migration(version: 3, fileName: "0003_a.sql", sql: "SELECT 1;"),
            Migration(version: 3, fileName: "0003_b.sql", sql: "SELECT 2;"),
        ]

        let error = #expect(throws: MigrationError.self) { try Migrator(migrations: migrations) }

        #expect(error?.code == .invalidMigrations)
    }

    @Test("The embedded SQL is byte for byte the file the generator hashed")
    func embeddedChecksumsMatchFiles() {
        #expect(!EmbeddedMigrations.files.isEmpty)
        for file in EmbeddedMigrations.files {
            #expect(Migration(version: file.version, fileName: file.fileName, sql: file.sql).checksum == file.sha256)
        }
        #expect(Migration.metaChat.map(\.version) == Migration.metaChat.map(\.version).sorted())
    }
}
