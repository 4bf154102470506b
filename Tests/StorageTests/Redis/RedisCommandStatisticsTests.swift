import Foundation
import Storage
import Testing

@Suite("Redis command statistics")
struct RedisCommandStatisticsTests {
    @Test("Latencies fall in the first bucket whose bound holds them; failures count by kind")
    func buckets() {
        let statistics = RedisCommandStatistics()
        statistics.record(duration: .microseconds(50), failure: nil)
        statistics.record(duration: .microseconds(100), failure: nil)
        statistics.record(duration: .milliseconds(3), failure: .errorReply)
        statistics.record(duration: .seconds(2), failure: .timeout)
        statistics.record(duration: .milliseconds(1), failure: .connectionLost)
        statistics.record(duration: .milliseconds(1), failure: .connectionFailed)
        statistics.record(duration: .milliseconds(1), failure: .shutDown)
        let text = statistics.prometheusText(prefix: "p")

        #expect(statistics.commands == 7)
        #expect(text.contains("p_duration_seconds_bucket{le=\"0.0001\"} 2\n"), "50 µs and exactly 100 µs")
        #expect(text.contains("p_duration_seconds_bucket{le=\"0.001\"} 5\n"))
        #expect(text.contains("p_duration_seconds_bucket{le=\"0.005\"} 6\n"))
        #expect(text.contains("p_duration_seconds_bucket{le=\"1.0\"} 6\n"))
        #expect(text.contains("p_duration_seconds_bucket{le=\"+Inf\"} 7\n"), "two seconds is past every bound")
        #expect(text.contains("p_duration_seconds_count 7\n"))
        #expect(text.contains("p_duration_seconds_sum 2.00615\n"))
        #expect(text.contains("p_errors_total{kind=\"error_reply\"} 1\n"))
        #expect(text.contains("p_errors_total{kind=\"timeout\"} 1\n"))
        #expect(text.contains("p_errors_total{kind=\"connection_lost\"} 2\n"))
        #expect(text.contains("p_errors_total{kind=\"other\"} 1\n"))
        #expect(text.contains("# TYPE p_duration_seconds histogram\n"))
        #expect(text.contains("# TYPE p_errors_total counter\n"))
    }

    @Test("A negative or enormous duration neither traps nor lowers the sum")
    func extremeDurations() {
        let statistics = RedisCommandStatistics()
        statistics.record(duration: .seconds(-5), failure: nil)
        statistics.record(duration: .seconds(Int64.max), failure: nil)
        let text = statistics.prometheusText(prefix: "p")
        #expect(text.contains("p_duration_seconds_bucket{le=\"0.0001\"} 1\n"))
        #expect(text.contains("p_duration_seconds_bucket{le=\"+Inf\"} 2\n"))
        #expect(!text.contains("p_duration_seconds_sum -"))
    }

    @Test("A pool counts its commands: replies, error replies and timeouts")
    func poolCountsCommands() async throws {
        var options = RedisPool.Configuration.Options.defaults
        options.maximumConnections = 2
        options.commandTimeout = .milliseconds(200)
        let redis = RedisPool(
            configuration: .init(url: try TestEnvironment.redisURL(), options: options), logger: .quiet)
        do {
            let key = "test:" + UUID().uuidString
            _ = try await redis.command(["SET", key, "not a number", "EX", 60])
            _ = try await redis.command(["PING"])
            await #expect(throws: RedisError.self) { try await redis.command(["INCR", key]) }
            // Blocks for a second on the server, past the 200 ms command timeout.
            let timedOut = await #expect(throws: RedisError.self) {
                try await redis.command(["BLPOP", key + ":empty", 1])
            }
            #expect(timedOut?.code == .timeout)

            let statistics = redis.commandStatistics
            #expect(statistics.commands == 4)
            #expect(statistics.failures(ofKind: "error_reply") == 1)
            #expect(statistics.failures(ofKind: "timeout") == 1)
            #expect(statistics.failures(ofKind: "connection_lost") == 0)
        } catch {
            await redis.shutdown()
            throw error
        }
        await redis.shutdown()
    }
}
