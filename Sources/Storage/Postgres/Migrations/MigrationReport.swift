/// What one ``Migrator/migrate(on:)`` run did.
public struct MigrationReport: Sendable, Hashable {
    /// One migration applied by this run.
    public struct Applied: Sendable, Hashable {
        /// The migration's version.
        public var version: Int
        /// The migration's file name.
        public var fileName: String
        /// How long its transaction took.
        public var duration: Duration
    }

    /// The migrations this run applied, in order.
    public var applied: [Applied]
    /// The versions found already applied when the run started.
    public var previouslyApplied: [Int]

    /// The highest version applied now, or `nil` for a database without migrations.
    public var currentVersion: Int? {
        (self.applied.map(\.version) + self.previouslyApplied).max()
    }
}
