internal import Handlers
internal import Logging
internal import NIOPosix
internal import Storage

/// The long-lived connections and caches `serve` builds once and closes on shutdown:
/// PostgreSQL and Redis pools, the Redis subscriber, the key cache with its cross-instance
/// invalidation, the batched `last_used_at` writer, the rate limiter and the threads of the
/// health probes.
struct ServeDependencies {
    let postgres: PostgresPool
    let redis: RedisPool
    let subscriber: RedisSubscriber
    let keys: KeyDirectory
    let usage: KeyUsageRecorder
    let invalidation: RedisKeyInvalidation
    let rateLimiterHealth: RateLimiterHealth
    let rateLimiter: RateLimiter
    /// Runs the health probes' blocking pings (libpq's `PQping`, hiredis' `PING`), so a slow
    /// dependency never holds a thread the pools need.
    let probeThreadPool: NIOThreadPool
    private let usageFlusher: Task<Void, Never>

    /// Opens the pools and starts the background work.
    ///
    /// - Parameters:
    ///   - databaseURL: `DATABASE_URL`.
    ///   - redisURL: `REDIS_URL`.
    ///   - logger: The server's logger.
    /// - Throws: When the Redis subscriber cannot be configured.
    init(databaseURL: String, redisURL: RedisURL, logger: Logger) throws {
        self.postgres = PostgresPool(configuration: .init(url: databaseURL), logger: logger)
        self.redis = RedisPool(configuration: .init(url: redisURL), logger: logger)
        self.subscriber = try RedisSubscriber(configuration: .init(url: redisURL), logger: logger)
        self.keys = KeyDirectory(pool: self.postgres)
        self.usage = KeyUsageRecorder(pool: self.postgres)
        self.invalidation = RedisKeyInvalidation(
            directory: self.keys,
            redis: self.redis,
            subscriber: self.subscriber,
            logger: logger
        )
        self.rateLimiterHealth = RateLimiterHealth()
        self.rateLimiter = RateLimiter(redis: self.redis, health: self.rateLimiterHealth, logger: logger)
        let probeThreadPool = NIOThreadPool(numberOfThreads: 2)
        probeThreadPool.start()
        self.probeThreadPool = probeThreadPool
        let usage = self.usage
        self.usageFlusher = Task { await usage.run(every: .seconds(30)) }
    }

    /// Subscribes to key and tenant changes; with Redis down the server still starts and keeps
    /// trying in the background, and the cache's 60-second lifetime bounds how stale an entry can
    /// get until it is back.
    func startInvalidation() async {
        await self.invalidation.startRetrying()
    }

    /// Stops the background work, writes the last `last_used_at` batch and closes the pools.
    func shutdown() async {
        self.usageFlusher.cancel()
        _ = try? await self.usage.flush()
        await self.rateLimiter.waitForRenewals()
        await self.invalidation.stop()
        await self.subscriber.shutdown()
        await self.redis.shutdown()
        await self.postgres.shutdown()
        try? await self.probeThreadPool.shutdownGracefully()
    }
}
