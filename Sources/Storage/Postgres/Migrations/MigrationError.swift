/// Why ``Migrator`` refused to run or stopped.
package struct MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of problem. A struct over a private enum, so new codes break no `switch`.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: Sendable, Hashable {
            case invalidMigrations
            case checksumMismatch
            case unknownAppliedMigration
            case migrationFailed
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The list of migrations is unusable (two share a version).
        package static let invalidMigrations = Code(.invalidMigrations)
        /// A migration was edited after it was applied: its checksum differs from the recorded one.
        package static let checksumMismatch = Code(.checksumMismatch)
        /// The database records a migration this build does not have (it is newer than the binary).
        package static let unknownAppliedMigration = Code(.unknownAppliedMigration)
        /// A migration's SQL failed; its transaction was rolled back. ``MigrationError/underlying``
        /// has the server's error.
        package static let migrationFailed = Code(.migrationFailed)

        package var description: String {
            switch self.wrapped {
            case .invalidMigrations: "invalidMigrations"
            case .checksumMismatch: "checksumMismatch"
            case .unknownAppliedMigration: "unknownAppliedMigration"
            case .migrationFailed: "migrationFailed"
            }
        }
    }

    /// The kind of problem.
    package var code: Code
    /// The migration file concerned.
    package var fileName: String?
    /// A sentence for the operator, naming the file.
    package var message: String
    /// The PostgreSQL error behind ``Code/migrationFailed``.
    package var underlying: PostgresError?

    /// Creates an error.
    package init(code: Code, fileName: String?, message: String, underlying: PostgresError? = nil) {
        self.code = code
        self.fileName = fileName
        self.message = message
        self.underlying = underlying
    }

    package var description: String { self.message }
}
