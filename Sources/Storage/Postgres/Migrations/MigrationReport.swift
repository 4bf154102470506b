/// What one ``Migrator/migrate(on:)`` run did.
package struct MigrationReport: Sendable, Hashable {
    /// One migration applied by this run.
    package struct Applied: Sendable, Hashable {
        /// The migration's version.
        package var version: Int
        /// The migration's file name.
        package var fileName: String
        /// How long its transaction took.
        package var duration: Duration
    }

    /// The migrations this run applied, in order.
    package var applied: [Applied]
    /// The versions found already applied when the run started.
    package var previouslyApplied: [Int]

    /// The highest version applied now, or `nil` for a database without migrations.
    package var currentVersion: Int? {
        (self.applied.map(\.version) + self.previouslyApplied).max()
    }
}
