public import Logging
public import Storage
internal import Synchronization

/// Counts requests per subject (an API key, or a client address) against a limit, atomically in
/// Redis so every instance shares one allowance.
///
/// The Redis script runs the same GCRA as ``RateLimitDecision/gcra(tat:now:policy:)`` on Redis'
/// clock. When Redis fails, the ``LocalRateLimiter`` answers instead (same limits, per instance)
/// and ``health`` reports degraded: never an error and never unlimited. Redis is tried again
/// after ``retryInterval``, and the flag clears once it answers.
public final class RateLimiter: Sendable {
    private static let script = RedisScript(
        """
        if redis.replicate_commands then redis.replicate_commands() end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local interval = window / limit
        local stored = tonumber(redis.call('GET', KEYS[1]))
        local tat = stored or now
        if tat < now then tat = now end
        local nexttat = tat + interval
        local allowat = nexttat - window
        if allowat > now then
          return {0, 0, math.ceil(tat - now), math.max(1, math.ceil(allowat - now))}
        end
        redis.call('SET', KEYS[1], string.format('%.3f', nexttat), 'PX', math.max(1, math.ceil(nexttat - now)))
        local remaining = math.floor((window - (nexttat - now)) / interval)
        if remaining < 0 then remaining = 0 end
        return {1, remaining, math.ceil(nexttat - now), 0}
        """
    )

    /// The Redis key prefix of the counters.
    public static let keyPrefix = "metachat:ratelimit:"

    private let redis: RedisPool
    private let local = LocalRateLimiter()
    private let logger: Logger
    private let nextRedisAttempt = Mutex<ContinuousClock.Instant?>(nil)
    /// Whether the limiter runs on the local fallback.
    public let health: RateLimiterHealth
    /// How long the limiter stays on the fallback before trying Redis again.
    public let retryInterval: Duration

    /// Creates a limiter.
    ///
    /// - Parameters:
    ///   - redis: Where the counters live.
    ///   - health: The flag to report fallback through.
    ///   - retryInterval: Time between Redis attempts while on the fallback (1 s unless given).
    ///   - logger: Receives fallback and recovery events.
    public init(redis: RedisPool, health: RateLimiterHealth, retryInterval: Duration = .seconds(1), logger: Logger) {
        self.redis = redis
        self.health = health
        self.retryInterval = retryInterval
        self.logger = logger
    }

    /// Counts one request of `subject`.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance to use, e.g. `key:<id>` or `ip:<address>`.
    ///   - policy: The limit.
    public func check(subject: String, policy: RateLimitPolicy) async -> RateLimitDecision {
        let clock = ContinuousClock()
        let skipRedis = self.nextRedisAttempt.withLock { next in
            guard let at = next else { return false }
            if clock.now < at { return true }
            // One caller probes Redis; the others stay local until it answered.
            next = clock.now + self.retryInterval
            return false
        }
        if skipRedis {
            return self.local.check(subject: subject, policy: policy)
        }
        do {
            let reply = try await self.redis.evaluate(
                Self.script, keys: [Self.keyPrefix + subject],
                arguments: [policy.requests, policy.windowMilliseconds])
            guard let values = reply.arrayValue?.compactMap(\.integerValue), values.count == 4 else {
                throw RedisError(code: .errorReply, message: "unexpected rate-limit script reply")
            }
            let recovered = self.nextRedisAttempt.withLock { next in
                defer { next = nil }
                return next != nil
            }
            if recovered || self.health.isDegraded {
                self.logger.info("Redis answers again; rate limits are shared across instances")
            }
            self.health.set(degraded: false)
            return RateLimitDecision(
                allowed: values[0] == 1, limit: policy.requests, remaining: Int(values[1]),
                resetMilliseconds: Int(values[2]), retryAfterMilliseconds: Int(values[3]))
        } catch {
            if !self.health.isDegraded {
                self.logger.warning(
                    "Redis failed; rate limits are counted per instance until it answers",
                    metadata: ["error": "\(error)"])
            }
            self.health.set(degraded: true)
            self.nextRedisAttempt.withLock { $0 = clock.now + self.retryInterval }
            return self.local.check(subject: subject, policy: policy)
        }
    }
}
