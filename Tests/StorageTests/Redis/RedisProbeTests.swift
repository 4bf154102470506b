import Storage
import Testing

@Suite("RedisProbe")
struct RedisProbeTests {
    @Test("A running Redis answers PING with PONG and a measured latency")
    func runningRedisAnswersPong() async throws {
        let probe = RedisProbe(url: try TestEnvironment.redisURL())

        let result = await probe.probe()

        #expect(result.reachable)
        #expect(result.message == "PONG")
        #expect(result.latencyMilliseconds > 0)
    }

    @Test("Nothing listening on the port is unreachable: connection failed")
    func closedPortFailsToConnect() async throws {
        let port = try await ClosedPort.make()
        let url = try #require(RedisURL("redis://127.0.0.1:\(port)/0"))

        let result = await RedisProbe(url: url).probe()

        #expect(!result.reachable)
        #expect(result.message == "connection failed")
    }
}
