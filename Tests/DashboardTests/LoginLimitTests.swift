import Dashboard
import Foundation
import Handlers
import Logging
import RPCServer
import Storage
import Testing

/// Sign-in attempts limited per account and per address, counted in the real Redis limiter.
@Suite("Dashboard sign-in limits", .serialized)
struct LoginLimitTests {
    private static func limiter() throws -> (RateLimiter, RedisPool) {
        let pool = RedisPool(
            configuration: .init(url: try TestEnvironment.redisURL()), logger: DashboardTestHarness.logger)
        return (RateLimiter(redis: pool, health: RateLimiterHealth(), logger: DashboardTestHarness.logger), pool)
    }

    @Test("Past the per-account limit even the right password is 429 with retry-after; other accounts still sign in")
    func perAccount() async throws {
        let (limiter, redis) = try Self.limiter()
        var configuration = DashboardTestHarness.configuration
        configuration.loginLimitPerAccount = RateLimitPolicy(requests: 3, windowMilliseconds: 600_000)
        let account = "limited-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        try await DashboardTestHarness.with(loginAttempts: limiter, configuration: configuration) { harness in
            try await harness.makeUser(account, .superAdmin)
            try await harness.makeUser("other-\(account)", .superAdmin)
            for _ in 0..<3 {
                let wrong = await harness.send(
                    "POST", "/login", form: [("email", account), ("password", "wrong password!")])
                #expect(wrong.status == 401)
            }
            let blocked = await harness.send(
                "POST", "/login", form: [("email", account.uppercased()), ("password", DashboardTestHarness.password)])
            #expect(blocked.status == 429)
            #expect(blocked.cookies.isEmpty)
            let retryAfter = try #require(blocked.header("retry-after").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 600)
            _ = try await harness.login("other-\(account)")
        }
        await redis.shutdown()
    }

    @Test("Past the per-address limit every account from that address is 429")
    func perAddress() async throws {
        let (limiter, redis) = try Self.limiter()
        var configuration = DashboardTestHarness.configuration
        configuration.loginLimitPerAddress = RateLimitPolicy(requests: 2, windowMilliseconds: 600_000)
        // Behind a trusted proxy the client is X-Forwarded-For's address: a fresh one per run.
        let address = "198.51.100.\(Int.random(in: 1...254))"
        try await DashboardTestHarness.with(loginAttempts: limiter, configuration: configuration) { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let forwarded = [(name: "X-Forwarded-For", value: address)]
            var statuses: [Int] = []
            for email in ["a@example.com", "b@example.com", "ops@example.com"] {
                statuses.append(
                    await harness.send(
                        "POST", "/login", form: [("email", email), ("password", DashboardTestHarness.password)],
                        headers: forwarded
                    ).status)
            }
            #expect(statuses == [401, 401, 429])
        }
        await redis.shutdown()
    }
}
