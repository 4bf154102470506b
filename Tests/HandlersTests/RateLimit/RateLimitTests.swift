import Foundation
import Logging
import RPCServer
import Storage
import Synchronization
import Testing

@testable import Handlers

@Suite("Rate limits", .serialized)
struct RateLimitTests {
    private static func limiter(_ url: RedisURL, retryInterval: Duration = .seconds(1)) -> (RateLimiter, RedisPool) {
        var options = RedisPool.Configuration.Options.defaults
        options.connectTimeout = .milliseconds(500)
        options.commandTimeout = .seconds(2)
        let pool = RedisPool(configuration: .init(url: url, options: options), logger: .quiet)
        return (
            RateLimiter(redis: pool, health: RateLimiterHealth(), retryInterval: retryInterval, logger: .quiet), pool
        )
    }

    private static func subject() -> String { "test:" + UUID().uuidString }

    @Test("One allowance shared by two limiters on one Redis: N allowed, then refused with a retry time")
    func sharedAllowance() async throws {
        let url = try TestEnvironment.redisURL()
        let (first, firstPool) = Self.limiter(url)
        let (second, secondPool) = Self.limiter(url)
        let subject = Self.subject()
        let policy = RateLimitPolicy(requests: 4, windowMilliseconds: 60_000)

        var decisions: [RateLimitDecision] = []
        for index in 0..<5 {
            decisions.append(await (index.isMultiple(of: 2) ? first : second).check(subject: subject, policy: policy))
        }
        await firstPool.shutdown()
        await secondPool.shutdown()

        #expect(decisions.prefix(4).allSatisfy { $0.allowed })
        #expect(decisions.map(\.remaining) == [3, 2, 1, 0, 0])
        #expect(!decisions[4].allowed)
        #expect(decisions[4].retryAfterMilliseconds > 0 && decisions[4].retryAfterMilliseconds <= 15_000)
        #expect(decisions.allSatisfy { $0.limit == 4 })
        #expect(!first.health.isDegraded && !second.health.isDegraded)
    }

    @Test("REST answers carry ratelimit-*, gRPC answers only when refused: RESOURCE_EXHAUSTED with retry-after")
    func interceptorMetadata() async throws {
        let (limiter, pool) = Self.limiter(try TestEnvironment.redisURL())
        let interceptor = RateLimitInterceptor(
            limiter: limiter, defaults: RateLimitPolicy(requests: 2, windowMilliseconds: 60_000))
        let host = "198.51.100.\(Int.random(in: 1...254))"
        let peer = "ipv4:\(host):\(Int.random(in: 1000...60000))"
        let sameHostOtherPort = "ipv4:\(host):1"
        let grpcHost = "ipv4:203.0.113.\(Int.random(in: 1...254))"

        let first = try await AuthFixture.call([interceptor], peer: peer, transport: .http)
        let second = try await AuthFixture.call([interceptor], peer: sameHostOtherPort, transport: .http)
        let error = await statusOf { _ = try await AuthFixture.call([interceptor], peer: peer, transport: .http) }
        let grpcAllowed = try await AuthFixture.call([interceptor], peer: grpcHost + ":2")
        let webAllowed = try await AuthFixture.call([interceptor], peer: grpcHost + ":3", transport: .grpcWeb)
        let grpcError = await statusOf { _ = try await AuthFixture.call([interceptor], peer: grpcHost + ":4") }
        await pool.shutdown()

        #expect(first.response.initial.firstString(forKey: "ratelimit-limit") == "2")
        #expect(first.response.initial.firstString(forKey: "ratelimit-remaining") == "1")
        #expect(second.response.initial.firstString(forKey: "ratelimit-remaining") == "0")
        #expect(Int(first.response.initial.firstString(forKey: "ratelimit-reset") ?? "") ?? 0 > 0)
        #expect(error?.code == .resourceExhausted)
        #expect(error?.metadata.firstString(forKey: "ratelimit-remaining") == "0")
        #expect(Int(error?.metadata.firstString(forKey: "retry-after") ?? "") ?? 0 >= 1)
        #expect(grpcAllowed.response.initial.isEmpty)
        #expect(webAllowed.response.initial.isEmpty)
        #expect(grpcError?.code == .resourceExhausted)
        #expect(grpcError?.metadata.firstString(forKey: "ratelimit-limit") == "2")
        #expect(grpcError?.metadata.firstString(forKey: "ratelimit-remaining") == "0")
        #expect(Int(grpcError?.metadata.firstString(forKey: "retry-after") ?? "") ?? 0 >= 1)
    }

    @Test("Authenticated calls count per key, and a tenant's settings override the default")
    func perKeyAndTenantOverride() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let limited = try await fixture.key(
                tenant: try await fixture.tenant(settings: #"{"rate_limit": {"requests_per_window": 2}}"#))
            let ordinary = try await fixture.key(tenant: try await fixture.tenant())
            let (limiter, redis) = Self.limiter(try TestEnvironment.redisURL())
            let chain: [any ServerInterceptor] = [
                AuthenticationInterceptor(
                    directory: KeyDirectory(pool: pool), usage: KeyUsageRecorder(pool: pool),
                    pepper: AuthFixture.pepper, globalAPIKey: nil),
                RateLimitInterceptor(
                    limiter: limiter, defaults: RateLimitPolicy(requests: 3, windowMilliseconds: 60_000)),
            ]
            func status(_ key: ApiKeyMaterial) async -> (RPCError.Code?, String?) {
                var limit: String?
                let error = await statusOf {
                    let context = try await AuthFixture.call(
                        chain, metadata: ["x-api-key": key.plaintext], transport: .http)
                    limit = context.response.initial.firstString(forKey: "ratelimit-limit")
                }
                return (error?.code, limit ?? error?.metadata.firstString(forKey: "ratelimit-limit"))
            }

            var limitedResults: [(RPCError.Code?, String?)] = []
            var ordinaryResults: [(RPCError.Code?, String?)] = []
            for _ in 0..<4 {
                limitedResults.append(await status(limited.material))
                ordinaryResults.append(await status(ordinary.material))
            }
            await redis.shutdown()

            #expect(limitedResults.map(\.0) == [nil, nil, .resourceExhausted, .resourceExhausted])
            #expect(limitedResults.allSatisfy { $0.1 == "2" })
            #expect(ordinaryResults.map(\.0) == [nil, nil, nil, .resourceExhausted])
            #expect(ordinaryResults.allSatisfy { $0.1 == "3" })
        }
    }

    @Test("Without Redis the local limiter takes over (degraded, still limited); when Redis returns it recovers")
    func fallbackAndRecovery() async throws {
        let redisServer = try RedisOnFreePort()
        let (limiter, pool) = Self.limiter(redisServer.url, retryInterval: .seconds(3))
        let policy = RateLimitPolicy(requests: 3, windowMilliseconds: 60_000)
        let subject = Self.subject()

        var local: [RateLimitDecision] = []
        for _ in 0..<4 {
            local.append(await limiter.check(subject: subject, policy: policy))
        }
        #expect(limiter.health.isDegraded)
        #expect(local.map(\.allowed) == [true, true, true, false])
        #expect(local[3].retryAfterMilliseconds > 0)

        try await redisServer.start()
        do {
            let other = Self.subject()
            // The limiter asks Redis again once its retry interval has passed.
            try await Polling.until("the limiter to count in Redis again", within: .seconds(15)) {
                _ = await limiter.check(subject: other, policy: policy)
                return try await pool.command(["EXISTS", RateLimiter.keyPrefix + other]).integerValue == 1
            }
            #expect(!limiter.health.isDegraded)
        } catch {
            await pool.shutdown()
            try await redisServer.stop()
            throw error
        }
        await pool.shutdown()
        try await redisServer.stop()
    }
}

@Suite("Rate-limit policy")
struct RateLimitPolicyTests {
    @Test("Defaults come from RATE_LIMIT_MAX_REQUESTS and RATE_LIMIT_WINDOW_MS, 100 per 60 s when unset")
    func environment() throws {
        #expect(try RateLimitPolicy.fromEnvironment([:]) == RateLimitPolicy(requests: 100, windowMilliseconds: 60_000))
        #expect(
            try RateLimitPolicy.fromEnvironment(["RATE_LIMIT_MAX_REQUESTS": "7", "RATE_LIMIT_WINDOW_MS": "1500"])
                == RateLimitPolicy(requests: 7, windowMilliseconds: 1500))
        #expect(
            try RateLimitPolicy.fromEnvironment(["RATE_LIMIT_MAX_REQUESTS": "", "RATE_LIMIT_WINDOW_MS": "250"])
                == RateLimitPolicy(requests: 100, windowMilliseconds: 250))
    }

    @Test(
        "A rate-limit variable that is not a number in range is refused, naming the variable",
        arguments: [
            ("RATE_LIMIT_MAX_REQUESTS", "0"), ("RATE_LIMIT_MAX_REQUESTS", "-5"), ("RATE_LIMIT_MAX_REQUESTS", "lots"),
            ("RATE_LIMIT_MAX_REQUESTS", "1000000001"), ("RATE_LIMIT_WINDOW_MS", "soon"), ("RATE_LIMIT_WINDOW_MS", "0"),
            ("RATE_LIMIT_WINDOW_MS", "86400001"), ("RATE_LIMIT_WINDOW_MS", "1.5"),
        ])
    func invalidEnvironment(variable: String, value: String) {
        #expect {
            try RateLimitPolicy.fromEnvironment([variable: value])
        } throws: { error in
            guard let error = error as? RateLimitPolicyError else { return false }
            return error.variable == variable && error.problem.contains("'\(value)'")
        }
    }

    @Test("A tenant's settings replace the parts they set; zero keeps the default")
    func tenantOverride() {
        let defaults = RateLimitPolicy(requests: 100, windowMilliseconds: 60_000)
        #expect(
            defaults.applying(TenantRateLimit(requestsPerWindow: 5, windowSeconds: 0))
                == RateLimitPolicy(requests: 5, windowMilliseconds: 60_000))
        #expect(
            defaults.applying(TenantRateLimit(requestsPerWindow: nil, windowSeconds: 10))
                == RateLimitPolicy(requests: 100, windowMilliseconds: 10_000))
    }

    @Test("Calls without credentials share an allowance per client address, whatever the port; IPv6 per /64")
    func perAddress() async throws {
        var options = RedisPool.Configuration.Options.defaults
        options.maximumConnections = 1
        let pool = RedisPool(
            configuration: .init(url: try TestEnvironment.redisURL(), options: options), logger: .quiet)
        let limiter = RateLimiter(redis: pool, health: RateLimiterHealth(), logger: .quiet)
        let interceptor = RateLimitInterceptor(
            limiter: limiter, defaults: RateLimitPolicy(requests: 1, windowMilliseconds: 60_000))
        // A /64 of its own per run, so earlier runs' counters (a minute long) cannot interfere.
        let (third, fourth) = (Int.random(in: 1...0xffff), Int.random(in: 1...0xfffe))
        let network = "2001:db8:\(String(third, radix: 16)):\(String(fourth, radix: 16))"
        let neighbour = "2001:db8:\(String(third, radix: 16)):\(String(fourth + 1, radix: 16))"

        let first = await statusOf { _ = try await AuthFixture.call([interceptor], peer: "ipv6:[\(network)::1]:1000") }
        let samePeerOtherPort = await statusOf {
            _ = try await AuthFixture.call([interceptor], peer: "ipv6:[\(network)::1]:2000")
        }
        let sameNetworkOtherHost = await statusOf {
            _ = try await AuthFixture.call([interceptor], peer: "ipv6:[\(network):0:0:0:abcd]:1000")
        }
        let otherNetwork = await statusOf {
            _ = try await AuthFixture.call([interceptor], peer: "ipv6:[\(neighbour)::1]:1000")
        }
        await pool.shutdown()

        #expect(first == nil)
        #expect(samePeerOtherPort?.code == .resourceExhausted)
        #expect(sameNetworkOtherHost?.code == .resourceExhausted)
        #expect(otherNetwork == nil)
    }
}

@Suite("Rate-limit leases on Redis", .serialized)
struct RateLimitLeaseRedisTests {
    @Test("Two limiters hammering one subject never admit more than the limit together, with far fewer Redis calls")
    func leasesKeepTheSharedLimit() async throws {
        let url = try TestEnvironment.redisURL()
        let pools = (0..<2).map { _ in RedisPool(configuration: .init(url: url), logger: .quiet) }
        let limiters = pools.map { RateLimiter(redis: $0, health: RateLimiterHealth(), logger: .quiet) }
        // A day's window: the allowance refills one request per 43 s, none while the test runs.
        let policy = RateLimitPolicy(requests: 2_000, windowMilliseconds: 86_400_000)
        let subject = "test:" + UUID().uuidString
        let before = try await Self.scriptCalls(pools[0])

        let admitted = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<3_000 {
                let limiter = limiters[index % 2]
                group.addTask { await limiter.check(subject: subject, policy: policy).allowed }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        let calls = try await Self.scriptCalls(pools[0]) - before
        for pool in pools { await pool.shutdown() }

        #expect(admitted <= 2_000, "the shared limit was exceeded")
        // Each limiter may be left holding unspent tokens when its calls ran out: up to half a
        // lease (a renewal starts at half) plus the renewal's grant, 1.5 × 1 % of the limit.
        #expect(admitted >= 2_000 - 2 * 30)
        #expect(calls < 1_000, "\(calls) Redis calls for 3000 requests")
        #expect(limiters.allSatisfy { !$0.health.isDegraded })
    }

    /// One caller's remembered lease entry, shared by its calls as ``AuthenticatedCaller`` does.
    private final class RememberingCaller: Sendable {
        let entry = RememberedLeaseEntry()
        let quick = Atomic<Int>(0)
    }

    @Test("Callers spending quick shares on two limiters still never exceed the shared limit")
    func quickSharesKeepTheSharedLimit() async throws {
        let url = try TestEnvironment.redisURL()
        let pools = (0..<2).map { _ in RedisPool(configuration: .init(url: url), logger: .quiet) }
        let limiters = pools.map { RateLimiter(redis: $0, health: RateLimiterHealth(), logger: .quiet) }
        let callers = (0..<2).map { _ in RememberingCaller() }
        // Leases of up to 200 (1 % of the limit), so quick shares of 64 are set aside.
        let policy = RateLimitPolicy(requests: 20_000, windowMilliseconds: 86_400_000)
        let subject = "test:" + UUID().uuidString

        let admitted = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                let (limiter, caller) = (limiters[worker % 2], callers[worker % 2])
                group.addTask {
                    var admitted = 0
                    for _ in 0..<3_000 {
                        if limiter.admitQuickly(policy: policy, rememberingIn: caller.entry) {
                            caller.quick.add(1, ordering: .relaxed)
                            admitted += 1
                            continue
                        }
                        let decision: RateLimitDecision
                        switch limiter.admit(subject: subject, policy: policy, rememberingIn: caller.entry, quick: true)
                        {
                        case .decided(let decided): decision = decided
                        case .pending(let pending): decision = await limiter.finish(pending)
                        }
                        admitted += decision.allowed ? 1 : 0
                    }
                    return admitted
                }
            }
            return await group.reduce(0, +)
        }
        for limiter in limiters { await limiter.waitForRenewals() }
        for pool in pools { await pool.shutdown() }
        let quick = callers.map { $0.quick.load(ordering: .relaxed) }.reduce(0, +)

        #expect(admitted <= 20_000, "the shared limit was exceeded")
        // Left unspent per limiter at most: half a lease, a renewal's grant and a quick share.
        #expect(admitted >= 20_000 - 2 * (300 + RateLimitLeases.quickShare))
        // Shares come only from above the renewal point, so with leases of 200 about half do.
        #expect(quick > admitted / 3, "\(quick) of \(admitted) admissions came from quick shares")
        #expect(limiters.allSatisfy { !$0.health.isDegraded })
    }

    @Test("A busy key's lease is renewed in the background, and waitForRenewals returns once none is running")
    func backgroundRenewal() async throws {
        let pool = RedisPool(configuration: .init(url: try TestEnvironment.redisURL()), logger: .quiet)
        let limiter = RateLimiter(redis: pool, health: RateLimiterHealth(), logger: .quiet)
        let policy = RateLimitPolicy(requests: 100_000, windowMilliseconds: 60_000)
        let subject = "test:" + UUID().uuidString
        let before = try await Self.scriptCalls(pool)

        var checks = 0
        while limiter.renewalCounts.started == 0, checks < 10_000 {
            #expect(await limiter.check(subject: subject, policy: policy).allowed)
            checks += 1
        }
        await limiter.waitForRenewals()
        let after = try await Self.scriptCalls(pool)
        await pool.shutdown()

        #expect(limiter.renewalCounts.started == 1, "sequential calls grow the lease until one is renewed")
        #expect(limiter.renewalCounts.running == 0)
        #expect(after - before >= 2, "the lease requests and the renewal reached Redis")
        #expect(checks < 100, "\(checks) calls before a renewal")
        #expect(!limiter.health.isDegraded)
    }

    /// How many times Redis ran a script (EVALSHA and EVAL), from `INFO commandstats`.
    private static func scriptCalls(_ pool: RedisPool) async throws -> Int {
        let info = try await pool.command(["INFO", "commandstats"])
        let text = info.stringValue ?? ""
        var total = 0
        for line in text.split(whereSeparator: \.isNewline)
        where line.hasPrefix("cmdstat_evalsha:") || line.hasPrefix("cmdstat_eval:") {
            if let field = line.split(separator: ",").first, let calls = Int(field.split(separator: "=").last ?? "") {
                total += calls
            }
        }
        return total
    }
}
