internal import ArgumentParser

/// The `metachat` command-line tool: one binary for the server and its operator tasks.
@main
struct MetaChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metachat",
        abstract: "A self-hostable multi-tenant AI chat backend.",
        subcommands: [
            ServeCommand.self,
            MigrateCommand.self,
            SeedAdminCommand.self,
            DashboardUserCommand.self,
            RetentionCommand.self,
            SecretsCommand.self,
            BenchCommand.self,
            VersionCommand.self,
            HealthcheckCommand.self,
        ],
        defaultSubcommand: nil
    )
}
