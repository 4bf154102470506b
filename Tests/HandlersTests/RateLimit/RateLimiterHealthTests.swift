import Foundation
import Handlers
import Storage
import Testing

/// What counts as "Redis down" for the rate limiter's health: a caller that gave up (its task was
/// cancelled) or a pool whose connections all stayed busy for the acquire timeout says nothing
/// about Redis and leaves the limiter HEALTHY; Redis refusing connections marks it degraded.
@Suite("Rate-limiter health", .serialized)
struct RateLimiterHealthTests {
    /// Every request asks Redis (limits under 200 per window take no leases).
    static let policy = RateLimitPolicy(requests: 10, windowMilliseconds: 60_000)

    @Test("A check cancelled while waiting for a Redis connection leaves the limiter healthy")
    func cancelledCheckIsNotARedisFailure() async throws {
        try await Self.withBusyPool(acquireTimeout: .seconds(30)) { limiter in
            let check = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await limiter.check(subject: "test:" + UUID().uuidString, policy: Self.policy)
            }
            _ = await check.value

            #expect(!limiter.health.isDegraded)
        }
    }

    @Test("A check that found every pooled connection busy for the acquire timeout leaves the limiter healthy")
    func acquireTimeoutIsNotARedisFailure() async throws {
        try await Self.withBusyPool(acquireTimeout: .milliseconds(50)) { limiter in
            let decision = await limiter.check(subject: "test:" + UUID().uuidString, policy: Self.policy)

            #expect(decision.allowed)
            #expect(!limiter.health.isDegraded)
        }
    }

    @Test("A Redis that refuses connections still marks the limiter degraded")
    func refusedConnectionIsARedisFailure() async throws {
        let nothingListening = try RedisOnFreePort()
        var options = RedisPool.Configuration.Options.defaults
        options.connectTimeout = .milliseconds(500)
        let pool = RedisPool(configuration: .init(url: nothingListening.url, options: options), logger: .quiet)
        let limiter = RateLimiter(redis: pool, health: RateLimiterHealth(), logger: .quiet)

        let decision = await limiter.check(subject: "test:" + UUID().uuidString, policy: Self.policy)
        await pool.shutdown()

        #expect(decision.allowed)
        #expect(limiter.health.isDegraded)
    }

    /// Runs `body` with a limiter on the test Redis through a one-connection pool whose only
    /// connection is leased (and in use) until `body` returns.
    static func withBusyPool(
        acquireTimeout: Duration,
        _ body: @escaping @Sendable (RateLimiter) async throws -> Void
    ) async throws {
        var options = RedisPool.Configuration.Options.defaults
        options.maximumConnections = 1
        options.acquireTimeout = acquireTimeout
        let pool = RedisPool(
            configuration: .init(url: try TestEnvironment.redisURL(), options: options), logger: .quiet)
        let limiter = RateLimiter(redis: pool, health: RateLimiterHealth(), logger: .quiet)
        let (leased, leasedContinuation) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await pool.withConnection { connection in
                _ = try await connection.command(["PING"])
                leasedContinuation.yield()
                for await _ in release { break }
            }
        }
        for await _ in leased { break }
        let result: Result<Void, any Error>
        do {
            try await body(limiter)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        releaseContinuation.finish()
        try await holder.value
        await pool.shutdown()
        try result.get()
    }
}
