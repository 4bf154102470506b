import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("SystemHandler")
struct SystemHandlerTests {
    /// One combination of dependency states and the overall status it must produce.
    struct StatusCase: Sendable, CustomTestStringConvertible {
        var databaseUp: Bool
        var redisUp: Bool
        var expected: Metachat_V1_HealthStatus

        var testDescription: String {
            "PostgreSQL \(self.databaseUp ? "up" : "down"), Redis \(self.redisUp ? "up" : "down") → \(self.expected)"
        }
    }

    @Test(
        "Health is HEALTHY with both dependencies up, DEGRADED with only Redis down, UNHEALTHY with PostgreSQL down",
        arguments: [
            StatusCase(databaseUp: true, redisUp: true, expected: .healthy),
            StatusCase(databaseUp: true, redisUp: false, expected: .degraded),
            StatusCase(databaseUp: false, redisUp: true, expected: .unhealthy),
            StatusCase(databaseUp: false, redisUp: false, expected: .unhealthy),
        ]
    )
    func overallStatus(statusCase: StatusCase) async throws {
        let handler = Self.handler(
            database: statusCase.databaseUp ? .up() : .down(),
            redis: statusCase.redisUp ? .up() : .down()
        )

        let report = try await handler.getHealth(request: Metachat_V1_GetHealthRequest(), context: Self.context)

        #expect(report.status == statusCase.expected)
    }

    @Test("Health is DEGRADED while rate limits are counted per instance, even when the Redis probe answers")
    func degradedWhileRateLimitsAreLocal() async throws {
        let redisServer = try RedisOnFreePort()
        var options = RedisPool.Configuration.Options.defaults
        options.connectTimeout = .milliseconds(500)
        let pool = RedisPool(configuration: .init(url: redisServer.url, options: options), logger: .quiet)
        let health = RateLimiterHealth()
        let limiter = RateLimiter(redis: pool, health: health, logger: .quiet)
        let handler = SystemHandler(
            version: "v", startedAt: .now, database: StubProbe.up(), redis: StubProbe.up(), rateLimits: health)

        let before = try await handler.getHealth(request: Metachat_V1_GetHealthRequest(), context: Self.context)
        _ = await limiter.check(subject: "health-test", policy: RateLimitPolicy(requests: 5, windowMilliseconds: 1000))
        let during = try await handler.getHealth(request: Metachat_V1_GetHealthRequest(), context: Self.context)
        await pool.shutdown()

        #expect(before.status == .healthy)
        #expect(health.isDegraded)
        #expect(during.status == .degraded)
        #expect(during.redis.status == .healthy)
        #expect(during.redis.message.contains("rate limits counted per instance"))
    }

    @Test("Each dependency check copies its probe's status, latency and message")
    func dependencyChecksCopyProbeResults() async throws {
        let handler = Self.handler(
            database: .up(latency: 3.25, message: "accepting connections"),
            redis: .down(latency: 2001.5, message: "connection failed")
        )

        let report = try await handler.getHealth(request: Metachat_V1_GetHealthRequest(), context: Self.context)

        #expect(report.hasDatabase)
        #expect(report.database.status == .healthy)
        #expect(report.database.latencyMs == 3.25)
        #expect(report.database.message == "accepting connections")
        #expect(report.hasRedis)
        #expect(report.redis.status == .unhealthy)
        #expect(report.redis.latencyMs == 2001.5)
        #expect(report.redis.message == "connection failed")
    }

    @Test("The report carries the server's version, a non-negative uptime and the current time")
    func reportCarriesVersionUptimeAndTime() async throws {
        let handler = SystemHandler(
            version: "1.2.3-test", startedAt: .now, database: StubProbe.up(), redis: StubProbe.up())

        let before = Date()
        let report = try await handler.getHealth(request: Metachat_V1_GetHealthRequest(), context: Self.context)
        let after = Date()

        #expect(report.version == "1.2.3-test")
        #expect(report.uptimeSeconds >= 0)
        #expect(report.hasServerTime)
        #expect(report.serverTime.date >= before.addingTimeInterval(-1))
        #expect(report.serverTime.date <= after.addingTimeInterval(1))
    }

    @Test("Uptime counts from the start instant the handler was given")
    func uptimeCountsFromStart() async throws {
        let startedAt = ContinuousClock.now.advanced(by: .seconds(-90))
        let handler = SystemHandler(version: "v", startedAt: startedAt, database: StubProbe.up(), redis: StubProbe.up())

        let report = try await handler.getHealth(request: Metachat_V1_GetHealthRequest(), context: Self.context)

        #expect(report.uptimeSeconds >= 90)
        #expect(report.uptimeSeconds < 90 + 60)
    }

    @Test("Liveness is HEALTHY without probing PostgreSQL or Redis")
    func livenessNeverProbes() async throws {
        let handler = SystemHandler(
            version: "v",
            startedAt: .now,
            database: ForbiddenProbe(name: "PostgreSQL"),
            redis: ForbiddenProbe(name: "Redis")
        )

        let response = try await handler.getLiveness(request: Metachat_V1_GetLivenessRequest(), context: Self.context)

        #expect(response.status == .healthy)
        #expect(response.hasServerTime)
    }

    @Test("Readiness is true while PostgreSQL answers, even with Redis down")
    func readyWhileDatabaseAnswers() async throws {
        let handler = Self.handler(database: .up(), redis: .down(message: "connection failed"))

        let response = try await handler.getReadiness(
            request: Metachat_V1_GetReadinessRequest(),
            context: Self.context
        )

        #expect(response.ready)
        #expect(response.message == "ready")
        #expect(response.hasServerTime)
    }

    @Test("Readiness is false while PostgreSQL is down, and the message names the database and why")
    func notReadyWhileDatabaseDown() async throws {
        let handler = Self.handler(database: .down(message: "no response"), redis: .up())

        let response = try await handler.getReadiness(
            request: Metachat_V1_GetReadinessRequest(),
            context: Self.context
        )

        #expect(!response.ready)
        #expect(response.message == "database: no response")
        #expect(response.hasServerTime)
    }

    @Test("registerMethods adds every SystemService method under its gRPC path")
    func registersEveryMethod() {
        var router = RPCRouter()
        Self.handler(database: .up(), redis: .up()).registerMethods(with: &router)

        #expect(router.methods.map(\.path) == Metachat_V1_SystemService.Method.all.map(\.path).sorted())
        #expect(router.serviceNames == ["metachat.v1.SystemService"])
    }

    @Test("The generated client reaches the handler through the router and in-process transport")
    func generatedClientRoundTrip() async throws {
        var router = RPCRouter()
        Self.handler(database: .up(latency: 4), redis: .down(message: "connection failed"))
            .registerMethods(with: &router)
        let client = Metachat_V1_SystemService.Client(transport: InProcessTransport(router: router))

        let health = try await client.getHealth(Metachat_V1_GetHealthRequest())
        let liveness = try await client.getLiveness(Metachat_V1_GetLivenessRequest())
        let readiness = try await client.getReadiness(Metachat_V1_GetReadinessRequest())

        #expect(health.status == .degraded)
        #expect(health.database.latencyMs == 4)
        #expect(health.redis.message == "connection failed")
        #expect(health.version == "test-version")
        #expect(liveness.status == .healthy)
        #expect(readiness.ready)
        #expect(readiness.message == "ready")
    }

    private static let context = ServerContext(
        descriptor: Metachat_V1_SystemService.Method.getHealth,
        requestMetadata: [:],
        peer: "test",
        requestID: "t"
    )

    private static func handler(database: StubProbe, redis: StubProbe) -> SystemHandler {
        SystemHandler(version: "test-version", startedAt: .now, database: database, redis: redis)
    }
}

@Suite("SystemHandler with the real PostgreSQL and Redis")
struct SystemHandlerRealServicesTests {
    @Test("With the real PostgreSQL and Redis answering, health is HEALTHY and the server is ready")
    func healthyAgainstRealServices() async throws {
        let handler = SystemHandler(
            version: "test-version",
            startedAt: .now,
            database: PostgresProbe(databaseURL: try TestEnvironment.databaseURL()),
            redis: RedisProbe(url: try TestEnvironment.redisURL())
        )
        let context = ServerContext(
            descriptor: Metachat_V1_SystemService.Method.getHealth,
            requestMetadata: [:],
            peer: "test",
            requestID: "t"
        )

        let report = try await handler.getHealth(request: Metachat_V1_GetHealthRequest(), context: context)
        let readiness = try await handler.getReadiness(request: Metachat_V1_GetReadinessRequest(), context: context)

        #expect(report.status == .healthy)
        #expect(report.database.status == .healthy)
        #expect(report.database.message == "accepting connections")
        #expect(report.database.latencyMs > 0)
        #expect(report.redis.status == .healthy)
        #expect(report.redis.message == "PONG")
        #expect(report.redis.latencyMs > 0)
        #expect(readiness.ready)
    }
}
