internal import ArgumentParser
internal import Dashboard
internal import FoundationEssentials
internal import Logging
internal import RPCServer
internal import Storage

/// `metachat dashboard-user create --email E --role R [--tenant T]`: creates a dashboard user,
/// reading the password from the first line of standard input (never from the command line,
/// where other users could see it in the process list).
///
/// Reads `DATABASE_URL` as `serve` does; the database must be migrated. Exit codes: 0; 78 for
/// missing or malformed configuration; 69 when PostgreSQL is unavailable; 65 for a bad email,
/// role, tenant or password, or an email already taken; 1 otherwise.
struct DashboardUserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard-user",
        abstract: "Manage dashboard users (DATABASE_URL).",
        subcommands: [Create.self]
    )

    /// `metachat dashboard-user create`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a dashboard user; the password is read from the first line of standard input.")

        @Option(help: "The user's sign-in email.")
        var email: String

        @Option(help: "super_admin, tenant_admin, agent or viewer.")
        var role: String

        @Option(help: "The tenant id of a tenant_admin, agent or viewer.")
        var tenant: String?

        func run() async throws {
            var standardError = StandardError()
            let configuration: AppConfiguration
            do {
                configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
            } catch {
                print("metachat dashboard-user: \(error)", to: &standardError)
                throw ExitCode(78)
            }
            guard let databaseURL = configuration.databaseURL else {
                print("metachat dashboard-user: DATABASE_URL is required", to: &standardError)
                throw ExitCode(78)
            }
            guard let role = DashboardRole(name: self.role) else {
                print(
                    "metachat dashboard-user: --role must be one of \(DashboardRole.names.joined(separator: ", "))",
                    to: &standardError)
                throw ExitCode(65)
            }
            var tenantID: UUID?
            if let tenant = self.tenant {
                guard let id = UUID(canonicalText: tenant) else {
                    print("metachat dashboard-user: --tenant must be a tenant id (a UUID)", to: &standardError)
                    throw ExitCode(65)
                }
                tenantID = id
            }
            let password = readLine(strippingNewline: true) ?? ""
            let hash: PasswordHash
            do {
                hash = try PasswordHash.make(password: password, cost: DashboardConfiguration.defaults.passwordCost)
            } catch {
                print("metachat dashboard-user: \(error) (give it on standard input)", to: &standardError)
                throw ExitCode(65)
            }
            var logger = Logger(label: "metachat.dashboard-user")
            logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            var poolConfiguration = PostgresPool.Configuration(url: databaseURL)
            poolConfiguration.options.maximumConnections = 1
            let pool = PostgresPool(configuration: poolConfiguration, logger: logger)
            let outcome: Result<DashboardUser, any Error>
            do {
                outcome = .success(
                    try await DashboardUserStore(pool: pool).create(
                        email: self.email, role: role, tenantID: tenantID, password: hash, actor: "cli"))
            } catch {
                outcome = .failure(error)
            }
            await pool.shutdown()
            switch outcome {
            case .success(let user):
                print("created \(role.name) \(user.id.lowercasedString) (\(user.email))")
            case .failure(let error as RPCError) where error.code == .unavailable:
                print("metachat dashboard-user: PostgreSQL is unavailable: \(error.message)", to: &standardError)
                throw ExitCode(69)
            case .failure(let error as RPCError)
            where [.invalidArgument, .alreadyExists, .notFound].contains(error.code):
                print("metachat dashboard-user: \(error.message)", to: &standardError)
                throw ExitCode(65)
            case .failure(let error as RPCError):
                print("metachat dashboard-user: \(error.message)", to: &standardError)
                throw ExitCode.failure
            case .failure(let error):
                print("metachat dashboard-user: \(error)", to: &standardError)
                throw ExitCode.failure
            }
        }
    }
}
