/// One numbered SQL file of the schema, applied once by ``Migrator`` in its own transaction.
package struct Migration: Sendable, Hashable {
    /// The number that orders migrations (`1` for `0001_identity.sql`).
    package let version: Int
    /// The file name, e.g. `0001_identity.sql`, as recorded in `schema_migrations` and named in errors.
    package let fileName: String
    /// The SQL: any number of statements, without transaction control (`BEGIN`, `COMMIT`) and
    /// without statements that cannot run in a transaction (`CREATE INDEX CONCURRENTLY`).
    package let sql: String
    /// The lower-case hex SHA-256 of the SQL's UTF-8 bytes, recorded when applied and compared on
    /// every later run.
    package let checksum: String

    /// Creates a migration.
    ///
    /// - Parameters:
    ///   - version: Its number; versions must be unique within a ``Migrator``.
    ///   - fileName: Its file name.
    ///   - sql: Its SQL text.
    package init(version: Int, fileName: String, sql: String) {
        self.version = version
        self.fileName = fileName
        self.sql = sql
        self.checksum = Digest.hex(Digest.sha256(Array(sql.utf8)))
    }

    /// MetaChat's schema: the files under `migrations/` in the repository, embedded in the binary
    /// (`scripts/embed-migrations.sh`), in version order.
    package static var metaChat: [Migration] {
        EmbeddedMigrations.files.map { Migration(version: $0.version, fileName: $0.fileName, sql: $0.sql) }
    }
}
