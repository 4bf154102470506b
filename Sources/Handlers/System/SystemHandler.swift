internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage
internal import SwiftProtobuf

/// Answers `metachat.v1.SystemService`: health, liveness and readiness.
///
/// PostgreSQL is critical (down → unhealthy); Redis is not (down → degraded: rate limits and
/// live events fall back, chat keeps working), nor is RabbitMQ (down → degraded: events wait in
/// the outbox). The report is also degraded while the rate
/// limiter counts per instance, which can outlast a Redis outage by up to its retry interval.
package struct SystemHandler: Metachat_V1_SystemService.Handler {
    private let version: String
    private let startedAt: ContinuousClock.Instant
    private let database: any DependencyProbe
    private let redis: any DependencyProbe
    private let rateLimits: RateLimiterHealth?
    private let conversationEvents: ConversationStreamHealth?
    private let eventBus: EventBusHealth?

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - version: The server's version string.
    ///   - startedAt: When the process started, for uptime.
    ///   - database: Checks PostgreSQL.
    ///   - redis: Checks Redis.
    ///   - rateLimits: Whether the rate limiter runs on its local fallback; `nil` when the server
    ///     has no rate limiter.
    ///   - conversationEvents: Whether the live conversation stream reads PostgreSQL because Redis
    ///     does not answer; `nil` when the server has no stream.
    ///   - eventBus: Whether RabbitMQ takes the outbox's events; `nil` without `RABBITMQ_URL`.
    package init(
        version: String,
        startedAt: ContinuousClock.Instant,
        database: any DependencyProbe,
        redis: any DependencyProbe,
        rateLimits: RateLimiterHealth? = nil,
        conversationEvents: ConversationStreamHealth? = nil,
        eventBus: EventBusHealth? = nil
    ) {
        self.version = version
        self.startedAt = startedAt
        self.database = database
        self.redis = redis
        self.rateLimits = rateLimits
        self.conversationEvents = conversationEvents
        self.eventBus = eventBus
    }

    package func getHealth(
        request: Metachat_V1_GetHealthRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_HealthReport {
        async let databaseResult = self.database.probe()
        async let redisResult = self.redis.probe()
        let (database, redis) = await (databaseResult, redisResult)

        var report = Metachat_V1_HealthReport()
        report.database = Self.check(database)
        report.redis = Self.check(redis)
        let rateLimitsLocal = self.rateLimits?.isDegraded ?? false
        if rateLimitsLocal {
            report.redis.message += (report.redis.message.isEmpty ? "" : "; ") + Self.localRateLimitsMessage
        }
        let eventsPolled = self.conversationEvents?.isDegraded ?? false
        if eventsPolled {
            report.redis.message += (report.redis.message.isEmpty ? "" : "; ") + Self.polledEventsMessage
        }
        let busDown = self.eventBus.map { !$0.isReachable } ?? false
        if let eventBus = self.eventBus {
            report.rabbitmq.status = eventBus.isReachable ? .healthy : .unhealthy
            report.rabbitmq.message = eventBus.message
        }
        report.status =
            if !database.reachable {
                .unhealthy
            } else if !redis.reachable || rateLimitsLocal || eventsPolled || busDown {
                .degraded
            } else {
                .healthy
            }
        report.version = self.version
        let (seconds, attoseconds) = (ContinuousClock.now - self.startedAt).components
        report.uptimeSeconds = Double(seconds) + Double(attoseconds) / 1e18
        report.serverTime = Google_Protobuf_Timestamp(date: .now)
        return report
    }

    package func getLiveness(
        request: Metachat_V1_GetLivenessRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_LivenessResponse {
        var response = Metachat_V1_LivenessResponse()
        response.status = .healthy
        response.serverTime = Google_Protobuf_Timestamp(date: .now)
        return response
    }

    package func getReadiness(
        request: Metachat_V1_GetReadinessRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ReadinessResponse {
        let database = await self.database.probe()
        var response = Metachat_V1_ReadinessResponse()
        response.ready = database.reachable
        response.message = database.reachable ? "ready" : "database: \(database.message)"
        response.serverTime = Google_Protobuf_Timestamp(date: .now)
        return response
    }

    /// Added to the Redis check's message while the conversation stream polls PostgreSQL.
    static let polledEventsMessage = "live conversation events read from PostgreSQL until Redis answers"

    /// Added to the Redis check's message while the rate limiter counts per instance.
    static let localRateLimitsMessage = "rate limits counted per instance until Redis answers"

    private static func check(_ result: DependencyProbeResult) -> Metachat_V1_DependencyCheck {
        var check = Metachat_V1_DependencyCheck()
        check.status = result.reachable ? .healthy : .unhealthy
        check.latencyMs = result.latencyMilliseconds
        check.message = result.message
        return check
    }
}
