internal import ArgumentParser
internal import FoundationEssentials
internal import Handlers
internal import Logging
internal import Storage

/// `metachat retention`: data-retention tasks.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Data-retention tasks (docs/retention.md).",
        subcommands: [Run.self]
    )

    /// `metachat retention run [--dry-run] [--tenant ID]`: one retention run in this process,
    /// printing what it did per table.
    ///
    /// Exit codes: 0 when the run succeeded, 1 when it failed (the error is printed; what was
    /// deleted stays deleted), 75 (`EX_TEMPFAIL`) when another run holds the lock, 78 for bad
    /// configuration or arguments, 69 when PostgreSQL cannot be reached.
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete (or archive, where tenants ask) data past its retention, and print counts per table.")

        @Flag(help: "Count what would be archived and deleted without changing anything.")
        var dryRun = false

        @Option(help: "Only this tenant (UUID).")
        var tenant: String?

        func run() async throws {
            var standardError = StandardError()
            let configuration: AppConfiguration
            do {
                configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
            } catch {
                print("metachat retention run: \(error)", to: &standardError)
                throw ExitCode(78)
            }
            guard let databaseURL = configuration.databaseURL else {
                print("metachat retention run: DATABASE_URL is required", to: &standardError)
                throw ExitCode(78)
            }
            var tenantID: UUID?
            if let tenant = self.tenant {
                guard let id = UUID(canonicalText: tenant) else {
                    print("metachat retention run: --tenant must be a tenant id (UUID)", to: &standardError)
                    throw ExitCode(78)
                }
                tenantID = id
            }
            var logger = Logger(label: "metachat.retention")
            logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            var poolConfiguration = PostgresPool.Configuration(url: databaseURL)
            poolConfiguration.options.maximumConnections = 2
            let pool = PostgresPool(configuration: poolConfiguration, logger: logger)
            let runner = RetentionRunner(
                pool: pool, defaults: configuration.retention,
                events: ConversationEventPruner(
                    pool: pool, configuration: configuration.conversationStream, logger: logger),
                logger: logger)
            let outcome: Result<RetentionRunRecord, any Error>
            do {
                outcome = .success(
                    try await runner.run(.init(trigger: .command, dryRun: self.dryRun, tenantID: tenantID)))
            } catch {
                outcome = .failure(error)
            }
            await pool.shutdown()
            switch outcome {
            case .success(let record):
                print(Self.report(record))
                if record.state != .succeeded {
                    print("metachat retention run: \(record.error ?? "failed")", to: &standardError)
                    throw ExitCode.failure
                }
            case .failure(RetentionRunner.Refusal.busy(let running)):
                print(
                    "metachat retention run: another run is working"
                        + (running.map { " (\($0.uuidString.lowercased()))" } ?? "")
                        + "; try again when it has finished",
                    to: &standardError)
                throw ExitCode(75)
            case .failure(let error as PostgresError) where error.isUnavailable:
                print("metachat retention run: PostgreSQL is unavailable: \(error)", to: &standardError)
                throw ExitCode(69)
            case .failure(let error):
                print("metachat retention run: \(error)", to: &standardError)
                throw ExitCode.failure
            }
        }

        /// The run as a table: one line per table with what was examined, archived and deleted.
        static func report(_ record: RetentionRunRecord) -> String {
            let pad = { (text: String, width: Int) in
                text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
            }
            var lines = [
                "retention run \(record.id.uuidString.lowercased()) \(record.state.rawValue)"
                    + "\(record.dryRun ? " (dry run: nothing changed)" : ""), \(record.tenantsProcessed) tenant(s)",
                "table" + String(repeating: " ", count: 20) + pad("examined", 10) + pad("archived", 10)
                    + pad("deleted", 10),
            ]
            for table in record.tables {
                lines.append(
                    table.table + String(repeating: " ", count: max(1, 25 - table.table.count))
                        + pad(String(table.examined), 10) + pad(String(table.archived), 10)
                        + pad(String(table.deleted), 10))
            }
            return lines.joined(separator: "\n")
        }
    }
}
