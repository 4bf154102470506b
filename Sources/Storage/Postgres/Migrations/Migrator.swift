/// Applies numbered SQL migrations to a database, each in its own transaction, once.
///
/// A run takes a session-level advisory lock (``advisoryLockKey``) so that concurrent migrators
/// queue: the second one waits, then finds nothing left to do. Applied migrations are recorded in
/// `schema_migrations` (version, file name, SHA-256, time, duration) in the first schema of the
/// connection's `search_path`. Before applying anything the run compares every recorded checksum
/// with the migration it knows, and refuses to go on — naming the file — when one was edited after
/// it was applied or when the database has a migration the build does not.
///
/// ```swift
/// let report = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)
/// for applied in report.applied { print("applied \(applied.fileName)") }
/// ```
package struct Migrator: Sendable {
    /// The `pg_advisory_lock` key every MetaChat migrator takes: the bytes of `"metachat"`.
    package static let advisoryLockKey: Int64 = 0x6D65_7461_6368_6174

    /// The migrations, in version order.
    package let migrations: [Migration]

    /// Creates a migrator.
    ///
    /// - Parameter migrations: The migrations in any order.
    /// - Throws: ``MigrationError`` with code ``MigrationError/Code/invalidMigrations`` when two
    ///   share a version.
    package init(migrations: [Migration]) throws(MigrationError) {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where earlier.version == later.version {
            throw MigrationError(
                code: .invalidMigrations,
                fileName: later.fileName,
                message: "\(earlier.fileName) and \(later.fileName) have the same version \(later.version)"
            )
        }
        self.migrations = sorted
    }

    /// Brings the database up to the latest migration.
    ///
    /// - Parameter pool: The database; one of its connections is used for the whole run.
    /// - Returns: What was applied now and what had been applied before.
    /// - Throws: ``MigrationError`` (nothing is applied when a check fails; a failing migration is
    ///   rolled back and those before it stay applied), or ``PostgresError`` when PostgreSQL cannot
    ///   be used.
    package func migrate(on pool: PostgresPool) async throws -> MigrationReport {
        try await pool.withConnection { connection in
            try await self.lock(connection)
            do {
                let report = try await self.applyPending(connection)
                try await self.unlock(connection)
                return report
            } catch {
                try? await self.unlock(connection)
                throw error
            }
        }
    }

    private func lock(_ connection: PostgresConnection) async throws {
        // Waiting for the lock may take as long as another migrator runs, so the pool's
        // statement_timeout is lifted for this transaction; the session lock outlives it.
        _ = try await connection.transaction(setup: "SET LOCAL statement_timeout = 0") { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))")
        }
    }

    private func unlock(_ connection: PostgresConnection) async throws {
        _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))")
    }

    private func applyPending(_ connection: PostgresConnection) async throws -> MigrationReport {
        _ = try await connection.executeScript(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version     integer     PRIMARY KEY,
                file_name   text        NOT NULL,
                checksum    text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now(),
                duration_ms integer     NOT NULL
            )
            """
        )
        let rows = try await connection.query("SELECT version, file_name, checksum FROM schema_migrations")
        var recorded: [Int: (fileName: String, checksum: String)] = [:]
        for row in rows {
            recorded[try row.decode("version")] = (try row.decode("file_name"), try row.decode("checksum"))
        }
        let known = Dictionary(uniqueKeysWithValues: self.migrations.map { ($0.version, $0) })
        for (version, record) in recorded.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError(
                    code: .unknownAppliedMigration,
                    fileName: record.fileName,
                    message: "the database has migration \(record.fileName) (version \(version)) applied, which this"
                        + " build does not include; run a build that has it"
                )
            }
            guard migration.checksum == record.checksum else {
                throw MigrationError(
                    code: .checksumMismatch,
                    fileName: migration.fileName,
                    message: "\(migration.fileName) was changed after it was applied (recorded SHA-256"
                        + " \(record.checksum), now \(migration.checksum)); restore the applied version and"
                        + " put the change in a new migration"
                )
            }
        }
        var applied: [MigrationReport.Applied] = []
        let clock = ContinuousClock()
        for migration in self.migrations where recorded[migration.version] == nil {
            let start = clock.now
            do {
                try await connection.transaction(setup: "SET LOCAL statement_timeout = 0") { connection in
                    _ = try await connection.executeScript(migration.sql)
                    let (seconds, attoseconds) = (clock.now - start).components
                    let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
                    try await connection.execute(
                        """
                        INSERT INTO schema_migrations (version, file_name, checksum, duration_ms)
                        VALUES (\(Int32(clamping: migration.version)), \(migration.fileName), \(migration.checksum), \
                        \(milliseconds))
                        """
                    )
                }
            } catch let error as PostgresError where !error.isUnavailable {
                throw MigrationError(
                    code: .migrationFailed,
                    fileName: migration.fileName,
                    message: "\(migration.fileName) failed and was rolled back: \(String(reflecting: error))",
                    underlying: error
                )
            }
            applied.append(
                MigrationReport.Applied(
                    version: migration.version, fileName: migration.fileName, duration: clock.now - start)
            )
        }
        return MigrationReport(applied: applied, previouslyApplied: recorded.keys.sorted())
    }
}
