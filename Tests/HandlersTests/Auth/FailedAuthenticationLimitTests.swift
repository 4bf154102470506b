import Foundation
import Handlers
import RPCServer
import Storage
import Testing

@Suite("Failed-authentication limit", .serialized)
struct FailedAuthenticationLimitTests {
    /// An interceptor allowing `limit` failed attempts per address per minute, counted in the
    /// test Redis, and the pool to close afterwards.
    private static func interceptor(_ pool: PostgresPool, limit: Int) throws -> (AuthenticationInterceptor, RedisPool) {
        let redis = RedisPool(configuration: .init(url: try TestEnvironment.redisURL()), logger: .quiet)
        let limiter = RateLimiter(redis: redis, health: RateLimiterHealth(), logger: .quiet)
        let interceptor = AuthenticationInterceptor(
            directory: KeyDirectory(pool: pool), usage: KeyUsageRecorder(pool: pool), pepper: AuthFixture.pepper,
            globalAPIKey: nil,
            failureLimit: FailedAuthenticationLimit(
                limiter: limiter, policy: RateLimitPolicy(requests: limit, windowMilliseconds: 60_000)))
        return (interceptor, redis)
    }

    /// A peer at a documentation address no other test uses.
    private static func peer() -> String {
        "ipv4:198.18.\(Int.random(in: 0...255)).\(Int.random(in: 1...254)):\(Int.random(in: 1024...65000))"
    }

    @Test("Past the limit an address is refused with RESOURCE_EXHAUSTED and retry-after, even with a valid key")
    func blocksAnAddress() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let valid = try await fixture.key(tenant: try await fixture.tenant())
            let (interceptor, redis) = try Self.interceptor(pool, limit: 3)
            let attacker = Self.peer()
            var codes: [RPCError.Code?] = []
            for _ in 0..<4 {
                let madeUp = ApiKeyMaterial(generating: .tenant).plaintext
                codes.append(
                    await statusOf {
                        _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": madeUp], peer: attacker)
                    }?.code)
            }
            let blocked = await statusOf {
                _ = try await AuthFixture.call(
                    [interceptor], metadata: ["x-api-key": valid.material.plaintext], peer: attacker)
            }
            let elsewhere = try await AuthFixture.call(
                [interceptor], metadata: ["x-api-key": valid.material.plaintext], peer: Self.peer())
            await redis.shutdown()

            #expect(codes == [.unauthenticated, .unauthenticated, .unauthenticated, .resourceExhausted])
            #expect(blocked?.code == .resourceExhausted)
            #expect(blocked?.message.contains("failed authentication attempts") == true)
            #expect(Int(blocked?.metadata.firstString(forKey: "retry-after") ?? "") ?? 0 >= 1)
            #expect(elsewhere.principal != nil, "another address is not affected")
        }
    }

    @Test("Only failed checks count: valid keys, calls without a key and disabled tenants use none of it")
    func onlyFailuresCount() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let valid = try await fixture.key(tenant: try await fixture.tenant())
            let disabled = try await fixture.key(tenant: try await fixture.tenant(enabled: false))
            let (interceptor, redis) = try Self.interceptor(pool, limit: 2)
            let peer = Self.peer()
            var codes: [RPCError.Code?] = []
            for _ in 0..<5 {
                codes.append(
                    await statusOf {
                        _ = try await AuthFixture.call(
                            [interceptor], metadata: ["x-api-key": valid.material.plaintext], peer: peer)
                    }?.code)
                codes.append(await statusOf { _ = try await AuthFixture.call([interceptor], peer: peer) }?.code)
                codes.append(
                    await statusOf {
                        _ = try await AuthFixture.call(
                            [interceptor], metadata: ["x-api-key": disabled.material.plaintext], peer: peer)
                    }?.code)
            }
            // The two failures the limit allows are still there.
            let failures = [
                await statusOf {
                    _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": "ten_nonsense"], peer: peer)
                }?.code,
                await statusOf {
                    _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": "ten_nonsense"], peer: peer)
                }?.code,
            ]
            await redis.shutdown()

            #expect(codes == Array(repeating: [nil, nil, .permissionDenied], count: 5).flatMap { $0 })
            #expect(failures == [.unauthenticated, .unauthenticated])
        }
    }
}
