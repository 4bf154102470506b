package import Logging
package import Storage

/// Announces key changes to every running server instance through Redis, without listening:
/// the half of ``RedisKeyInvalidation`` a one-shot command needs (`metachat seed-admin`), so a
/// key it rotates stops working on running servers at once instead of when their cached entry
/// expires.
///
/// ```swift
/// let publisher = RedisKeyChangePublisher(redis: redisPool, logger: logger)
/// let seeded = try await AdminSeeder(pool: pool, pepper: pepper.bytes, keyEvents: publisher).seed(email: e, label: l)
/// ```
package struct RedisKeyChangePublisher: KeyChangeListener {
    private let redis: RedisPool
    private let logger: Logger

    /// Creates a publisher.
    ///
    /// - Parameters:
    ///   - redis: Where to publish.
    ///   - logger: Receives a warning when publishing fails.
    package init(redis: RedisPool, logger: Logger) {
        self.redis = redis
        self.logger = logger
    }

    /// Publishes `keyID` on ``RedisKeyInvalidation/keyChannel``; a failure is logged, not thrown
    /// (the change has committed; servers then keep the old entry until it expires).
    package func keyChanged(keyID: String) async {
        await Self.publish(keyID, on: RedisKeyInvalidation.keyChannel, redis: self.redis, logger: self.logger)
    }

    /// Publishes `id` on `channel`, logging a warning (without the id's secret parts, which it
    /// has none of) when Redis cannot be reached.
    ///
    /// - Returns: Whether Redis accepted the message.
    @discardableResult
    static func publish(_ id: String, on channel: String, redis: RedisPool, logger: Logger) async -> Bool {
        do {
            _ = try await redis.command(["PUBLISH", channel, id])
            return true
        } catch {
            logger.warning(
                "could not publish a cache invalidation; running servers keep their cached entry until it expires (at most 60 s)",
                metadata: ["channel": "\(channel)", "error": "\(error)"])
            return false
        }
    }
}
