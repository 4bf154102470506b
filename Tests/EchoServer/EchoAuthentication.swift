import FoundationEssentials
import Handlers
import Logging
import RPCServer
import Storage

/// The production authentication and rate-limit interceptors, for `echo-server --auth`: the
/// benchmark of what they cost puts them in front of the echo handler.
///
/// Reads `DATABASE_URL`, `REDIS_URL`, `API_KEY_PEPPER`, `RATE_LIMIT_MAX_REQUESTS` and
/// `RATE_LIMIT_WINDOW_MS` as `metachat serve` does; keys are created with `metachat`.
struct EchoAuthentication {
    /// The chain to install: authentication, then rate limits.
    let interceptors: [any ServerInterceptor]
    private let postgres: PostgresPool
    private let redis: RedisPool
    private let limiter: RateLimiter
    private let usageFlusher: Task<Void, Never>

    /// A required variable is missing or invalid.
    struct Misconfigured: Error, CustomStringConvertible {
        /// What is wrong.
        var description: String
    }

    /// Opens the pools and builds the interceptors.
    ///
    /// - Parameters:
    ///   - environment: The process environment.
    ///   - logger: The server's logger.
    /// - Throws: ``Misconfigured`` naming the variable at fault.
    init(environment: [String: String], logger: Logger) throws {
        guard let databaseURL = environment["DATABASE_URL"], !databaseURL.isEmpty else {
            throw Misconfigured(description: "--auth needs DATABASE_URL")
        }
        guard let redisURL = RedisURL(environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0") else {
            throw Misconfigured(description: "REDIS_URL must look like redis://host:port/db")
        }
        guard let pepperText = environment["API_KEY_PEPPER"], let pepper = try? ApiKeyPepper(text: pepperText) else {
            throw Misconfigured(description: "--auth needs API_KEY_PEPPER (at least 32 bytes)")
        }
        let policy = try RateLimitPolicy.fromEnvironment(environment)
        self.postgres = PostgresPool(configuration: .init(url: databaseURL), logger: logger)
        self.redis = RedisPool(configuration: .init(url: redisURL), logger: logger)
        self.limiter = RateLimiter(redis: self.redis, health: RateLimiterHealth(), logger: logger)
        let usage = KeyUsageRecorder(pool: self.postgres)
        self.usageFlusher = Task { await usage.run(every: .seconds(30)) }
        self.interceptors = [
            AuthenticationInterceptor(
                directory: KeyDirectory(pool: self.postgres),
                usage: usage,
                pepper: pepper.bytes,
                globalAPIKey: nil
            ),
            RateLimitInterceptor(
                limiter: self.limiter,
                defaults: policy
            ),
        ]
    }

    /// Stops the background work and closes the pools.
    func shutdown() async {
        self.usageFlusher.cancel()
        await self.limiter.waitForRenewals()
        await self.redis.shutdown()
        await self.postgres.shutdown()
    }
}
