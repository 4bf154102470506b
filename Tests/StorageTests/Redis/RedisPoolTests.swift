import Foundation
import Storage
import Testing

@Suite("RedisPool")
struct RedisPoolTests {
    @Test("Commands round-trip binary values, integers and missing keys")
    func commandRoundTrip() async throws {
        try await Self.withPool { redis in
            let key = "test:" + UUID().uuidString
            let value: [UInt8] = [0, 1, 2, 0, 255, 13, 10]

            let set = try await redis.command(["SET", key, value, "EX", 60])
            let get = try await redis.command(["GET", key])
            let counter = try await redis.command(["INCRBY", key + ":n", 5])
            let missing = try await redis.command(["GET", key + ":absent"])

            #expect(set == .status("OK"))
            #expect(get.bytesValue == value)
            #expect(counter.integerValue == 5)
            #expect(missing.isNull)
        }
    }

    @Test("An error reply is thrown as errorReply with the server's text, and the connection stays usable")
    func errorReplyIsThrown() async throws {
        try await Self.withPool(maximumConnections: 1) { redis in
            let key = "test:" + UUID().uuidString
            _ = try await redis.command(["SET", key, "not a number"])

            let error = await #expect(throws: RedisError.self) { try await redis.command(["INCR", key]) }

            #expect(error?.code == .errorReply)
            #expect(error?.message.hasPrefix("ERR") == true)
            #expect(error?.isUnavailable == false)
            #expect(try await redis.command(["PING"]) == .status("PONG"))
        }
    }

    @Test("A Lua script runs through EVAL when Redis lacks it and through EVALSHA afterwards")
    func luaScript() async throws {
        try await Self.withPool { redis in
            let key = "test:" + UUID().uuidString
            // A comment unique to this run, so Redis cannot have the script cached already.
            let script = RedisScript(
                "-- \(UUID().uuidString)\nreturn redis.call('INCRBY', KEYS[1], ARGV[1]) * 10")
            let cachedBefore = try await redis.command(["SCRIPT", "EXISTS", script.sha1])

            let first = try await redis.evaluate(script, keys: [key], arguments: [2])
            let cachedAfter = try await redis.command(["SCRIPT", "EXISTS", script.sha1])
            let second = try await redis.evaluate(script, keys: [key], arguments: [3])

            #expect(cachedBefore == .array([.integer(0)]))
            #expect(first == .integer(20))
            #expect(cachedAfter == .array([.integer(1)]))
            #expect(second == .integer(50))
        }
    }

    @Test("While Redis is down commands fail as unavailable; the first command after it is back succeeds")
    func poolRecoversAfterRedisRestart() async throws {
        let server = try await ScratchRedisServer.start()
        var options = RedisPool.Configuration.Options.defaults
        options.maximumConnections = 2
        let redis = RedisPool(configuration: .init(url: server.url, options: options), logger: .quiet)
        do {
            #expect(try await redis.command(["SET", "k", "before"]) == .status("OK"))

            await server.stopServer()
            let outage = await #expect(throws: RedisError.self) { try await redis.command(["GET", "k"]) }
            try await server.startServer()
            let after = try await redis.command(["SET", "k", "after"])

            #expect(outage?.isUnavailable == true)
            #expect(after == .status("OK"))
        } catch {
            await redis.shutdown()
            await server.destroy()
            throw error
        }
        await redis.shutdown()
        await server.destroy()
    }

    /// Runs `body` with a pool on the shared test Redis, shut down afterwards.
    static func withPool(
        maximumConnections: Int = 4,
        _ body: (RedisPool) async throws -> Void
    ) async throws {
        var options = RedisPool.Configuration.Options.defaults
        options.maximumConnections = maximumConnections
        let redis = RedisPool(
            configuration: .init(url: try TestEnvironment.redisURL(), options: options), logger: .quiet)
        do {
            try await body(redis)
        } catch {
            await redis.shutdown()
            throw error
        }
        await redis.shutdown()
    }
}
