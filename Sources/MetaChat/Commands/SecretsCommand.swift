internal import ArgumentParser
internal import FoundationEssentials
internal import Handlers
internal import Logging
internal import Storage

/// `metachat secrets`: the secrets envelope's maintenance.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Maintain the secrets sealed at rest (SECRETS_ENCRYPTION_KEY).",
        subcommands: [Rewrap.self]
    )

    /// `metachat secrets rewrap`: seals every stored secret again under the current key.
    ///
    /// Exit codes: 0 when done, 78 without `DATABASE_URL` or `SECRETS_ENCRYPTION_KEY`, 1 when a
    /// secret cannot be opened with the configured keys (nothing after it is changed), 69 when
    /// PostgreSQL cannot be reached.
    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-encrypt every stored secret under SECRETS_ENCRYPTION_KEY, opening old ones with"
                + " SECRETS_ENCRYPTION_OLD_KEYS; afterwards the old keys can be removed.")

        func run() async throws {
            var standardError = StandardError()
            let configuration: AppConfiguration
            do {
                configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
            } catch {
                print("metachat secrets rewrap: \(error)", to: &standardError)
                throw ExitCode(78)
            }
            guard let databaseURL = configuration.databaseURL else {
                print("metachat secrets rewrap: DATABASE_URL is required", to: &standardError)
                throw ExitCode(78)
            }
            guard configuration.secrets.current != nil else {
                print("metachat secrets rewrap: SECRETS_ENCRYPTION_KEY is required", to: &standardError)
                throw ExitCode(78)
            }
            var logger = Logger(label: "metachat.secrets")
            logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            var poolConfiguration = PostgresPool.Configuration(url: databaseURL)
            poolConfiguration.options.maximumConnections = 1
            let pool = PostgresPool(configuration: poolConfiguration, logger: logger)
            let outcome: Result<SecretsKeeper.Report, any Error>
            do {
                outcome = .success(
                    try await SecretsKeeper(pool: pool, envelope: configuration.secrets).sealAll(rewrap: true))
            } catch {
                outcome = .failure(error)
            }
            await pool.shutdown()
            switch outcome {
            case .success(let report):
                print(
                    "rewrapped \(report.rewrapped), sealed \(report.sealedPlaintext) plaintext, "
                        + "\(report.current) already under key \(configuration.secrets.current?.id ?? "")")
            case .failure(let error as PostgresError) where error.isUnavailable:
                print("metachat secrets rewrap: PostgreSQL is unavailable: \(error)", to: &standardError)
                throw ExitCode(69)
            case .failure(let error):
                print("metachat secrets rewrap: \(error)", to: &standardError)
                throw ExitCode.failure
            }
        }
    }
}
