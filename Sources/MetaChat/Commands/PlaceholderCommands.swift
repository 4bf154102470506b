internal import ArgumentParser

/// `metachat seed-admin`: creates the super admin and prints its key.
struct SeedAdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-admin",
        abstract: "Create or rotate a super-admin API key (arrives with API keys)."
    )

    @Option(help: "The admin's email address.")
    var email: String

    @Option(help: "The key's label; re-running with the same label rotates that key.")
    var label: String

    @Flag(help: "Print one JSON line for scripts.")
    var json = false

    func run() async throws {
        try notYetAvailable("seed-admin", arrivesWith: "tenants and API keys")
    }
}

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
