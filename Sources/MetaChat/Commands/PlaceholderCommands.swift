internal import ArgumentParser

/// `metachat retention`: data-retention tasks.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Data-retention tasks (arrives with retention).",
        subcommands: [Run.self]
    )

    /// `metachat retention run [--dry-run]`.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete (or archive) data past its retention.")

        @Flag(help: "Count what would be deleted without deleting it.")
        var dryRun = false

        func run() async throws {
            try notYetAvailable("retention run", arrivesWith: "retention")
        }
    }
}
