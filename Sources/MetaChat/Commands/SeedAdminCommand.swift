internal import ArgumentParser
internal import FoundationEssentials
internal import Handlers
internal import Logging
internal import RPCServer
internal import Storage

/// `metachat seed-admin --email E --label L [--json]`: creates the SUPER admin `E` (or finds it)
/// and a key labelled `L`, or rotates that key when it exists, and prints the key once.
///
/// Reads `DATABASE_URL`, `API_KEY_PEPPER` and `REDIS_URL` as `serve` does; the database must be
/// migrated. The new or rotated key is announced through Redis, so running servers drop the old
/// one from their caches at once; when Redis is unreachable a warning says so on standard error
/// (the key is still created or rotated, and servers stop accepting the old key within 60 s).
/// Exit codes: 0; 78 for missing or malformed configuration; 69 when PostgreSQL is unavailable or
/// has no MetaChat schema (run `metachat migrate`); 65 for a bad email or label; 1 otherwise.
struct SeedAdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-admin",
        abstract:
            "Create a super admin and an API key, or rotate the key with that label (DATABASE_URL, API_KEY_PEPPER, "
            + "REDIS_URL)."
    )

    @Option(help: "The admin's email address.")
    var email: String

    @Option(help: "The key's label; re-running with the same label rotates that key.")
    var label: String

    @Flag(help: "Print one JSON line {\"adminId\", \"keyId\", \"apiKey\"} for scripts.")
    var json = false

    func run() async throws {
        var standardError = StandardError()
        let configuration: AppConfiguration
        do {
            configuration = try AppConfiguration(environment: ProcessInfo.processInfo.environment)
        } catch {
            print("metachat seed-admin: \(error)", to: &standardError)
            throw ExitCode(78)  // EX_CONFIG
        }
        guard let databaseURL = configuration.databaseURL else {
            print(
                "metachat seed-admin: DATABASE_URL is required (postgresql://user:password@host:port/db)",
                to: &standardError)
            throw ExitCode(78)
        }
        guard let pepper = configuration.apiKeyPepper else {
            print(
                "metachat seed-admin: API_KEY_PEPPER is required (at least 32 bytes, e.g. `openssl rand -hex 32`);"
                    + " use the same value as the server",
                to: &standardError
            )
            throw ExitCode(78)
        }
        var logger = Logger(label: "metachat.seed-admin")
        logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        var poolConfiguration = PostgresPool.Configuration(url: databaseURL)
        poolConfiguration.options.maximumConnections = 1
        let pool = PostgresPool(configuration: poolConfiguration, logger: logger)
        // Running servers cache keys for up to 60 s; the rotation is announced on the channel
        // they listen on, as the API's rotation is, so the old key stops working at once.
        var redisOptions = RedisPool.Configuration.Options.defaults
        redisOptions.maximumConnections = 1
        let redis = RedisPool(configuration: .init(url: configuration.redisURL, options: redisOptions), logger: logger)
        let seeder = AdminSeeder(
            pool: pool, pepper: pepper.bytes, keyEvents: RedisKeyChangePublisher(redis: redis, logger: logger))
        let outcome: Result<AdminSeeder.Seeded?, any Error>
        do {
            if try await seeder.schemaIsPresent() {
                outcome = .success(try await seeder.seed(email: self.email, label: self.label))
            } else {
                outcome = .success(nil)
            }
        } catch {
            outcome = .failure(error)
        }
        await redis.shutdown()
        await pool.shutdown()

        switch outcome {
        case .success(let seeded?):
            self.report(seeded)
        case .success(nil):
            print(
                "metachat seed-admin: the database has no MetaChat schema; run `metachat migrate` first",
                to: &standardError)
            throw ExitCode(69)  // EX_UNAVAILABLE
        case .failure(let error as PostgresError) where error.isUnavailable:
            print("metachat seed-admin: PostgreSQL is unavailable: \(error)", to: &standardError)
            throw ExitCode(69)
        case .failure(let error as RPCError) where error.code == .unavailable:
            print("metachat seed-admin: PostgreSQL is unavailable: \(error.message)", to: &standardError)
            throw ExitCode(69)
        case .failure(let error as RPCError) where error.code == .invalidArgument:
            print("metachat seed-admin: \(error.message)", to: &standardError)
            throw ExitCode(65)  // EX_DATAERR
        case .failure(let error as RPCError):
            print("metachat seed-admin: \(error.message)", to: &standardError)
            throw ExitCode.failure
        case .failure(let error):
            print("metachat seed-admin: \(error)", to: &standardError)
            throw ExitCode.failure
        }
    }

    private func report(_ seeded: AdminSeeder.Seeded) {
        let adminID = seeded.adminID.lowercasedString
        let keyID = seeded.keyID.lowercasedString
        if self.json {
            // Ids are UUIDs and the key is base62, so none of the values needs escaping.
            print("{\"adminId\":\"\(adminID)\",\"keyId\":\"\(keyID)\",\"apiKey\":\"\(seeded.apiKey)\"}")
            return
        }
        print(seeded.createdAdmin ? "created SUPER admin \(adminID) (\(self.email))" : "found SUPER admin \(adminID)")
        print(seeded.rotatedKey ? "rotated key \(keyID) (\(self.label))" : "created key \(keyID) (\(self.label))")
        print("API key (shown once; send it as x-admin-key):")
        print(seeded.apiKey)
    }
}
