internal import ArgumentParser
internal import FoundationEssentials
internal import Logging
internal import Storage

/// `metachat migrate`: applies the numbered SQL migrations embedded in the binary.
///
/// Exit codes: 0 when the schema is up to date, 78 when `DATABASE_URL` is missing or malformed,
/// 69 (`EX_UNAVAILABLE`) when PostgreSQL cannot be reached, 1 when a migration fails or an applied
/// one was changed.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations (DATABASE_URL)."
    )

    func run() async throws {
        var standardError = StandardError()
        let configuration: AppConfiguration
        do {
            configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            print("metachat migrate: \(error)", to: &standardError)
            throw ExitCode(78)  // EX_CONFIG
        }
        guard let databaseURL = configuration.databaseURL else {
            print(
                "metachat migrate: DATABASE_URL is required (postgresql://user:password@host:port/db)",
                to: &standardError
            )
            throw ExitCode(78)
        }
        var logger = Logger(label: "metachat.migrate")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info

        var poolConfiguration = PostgresPool.Configuration(url: databaseURL)
        poolConfiguration.options.maximumConnections = 1
        let pool = PostgresPool(configuration: poolConfiguration, logger: logger)
        let outcome: Result<MigrationReport, any Error>
        do {
            let migrator = try Migrator(migrations: Migration.metaChat)
            outcome = .success(try await migrator.migrate(on: pool))
        } catch {
            outcome = .failure(error)
        }
        await pool.shutdown()

        switch outcome {
        case .success(let report):
            for applied in report.applied {
                print("applied \(applied.fileName) (\(Self.milliseconds(applied.duration)) ms)")
            }
            let version = report.currentVersion.map { String($0) } ?? "none"
            if report.applied.isEmpty {
                print("schema is up to date at version \(version); nothing to apply")
            } else {
                print("schema is at version \(version): applied \(report.applied.count) migration(s)")
            }
        case .failure(let error as MigrationError):
            print("metachat migrate: \(error.message)", to: &standardError)
            throw ExitCode.failure
        case .failure(let error as PostgresError) where error.isUnavailable:
            print("metachat migrate: PostgreSQL is unavailable: \(String(reflecting: error))", to: &standardError)
            throw ExitCode(69)  // EX_UNAVAILABLE
        case .failure(let error as PostgresError):
            print("metachat migrate: \(String(reflecting: error))", to: &standardError)
            throw ExitCode.failure
        case .failure(let error):
            print("metachat migrate: \(error)", to: &standardError)
            throw ExitCode.failure
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
