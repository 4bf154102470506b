import Storage
import Testing

/// The credentials of a `REDIS_URL` against real `redis-server`s that require them: every
/// connection the pool, the subscriber and the probe open authenticates (default user or ACL
/// user) and selects the URL's database; refused credentials never show up in errors or
/// descriptions.
@Suite("Redis authentication")
struct RedisAuthenticationTests {
    /// A password with every character a URL reserves, percent-encoded in the URL.
    static let password = "p@ss:w/rd%?#"
    static let encodedPassword = "p%40ss%3Aw%2Frd%25%3F%23"

    @Test("A password-only URL authenticates the pool's connections and selects the database")
    func passwordOnlyURLAuthenticates() async throws {
        let server = try await ScratchRedisServer.start(arguments: ["--requirepass", Self.password])
        let url = try #require(
            RedisURL("redis://:\(Self.encodedPassword)@127.0.0.1:\(server.url.port)/3"))
        try await Self.withPool(url, server: server) { redis in
            #expect(try await redis.command(["SET", "k", "v"]) == .status("OK"))
            let info = try #require(try await redis.command(["CLIENT", "INFO"]).stringValue)
            #expect(info.contains(" db=3 "))
            #expect(info.contains(" user=default "))
        }
    }

    @Test("An ACL user in the URL authenticates every pooled connection as that user")
    func aclUserAuthenticates() async throws {
        let server = try await ScratchRedisServer.start(arguments: [
            "--requirepass", "not-the-users-password", "--user", "alice", "on", ">" + Self.password, "~*", "&*",
            "+@all",
        ])
        let url = try #require(
            RedisURL("redis://alice:\(Self.encodedPassword)@127.0.0.1:\(server.url.port)/2"))
        try await Self.withPool(url, server: server, maximumConnections: 2) { redis in
            // The inner lease while the outer one is held makes the pool open a second connection.
            let infos = try await redis.withConnection { outer in
                let inner = try await redis.withConnection { inner in
                    try #require(try await inner.command(["CLIENT", "INFO"]).stringValue)
                }
                return [try #require(try await outer.command(["CLIENT", "INFO"]).stringValue), inner]
            }
            #expect(Set(infos.map { $0.split(separator: " ").first }).count == 2)
            for info in infos {
                #expect(info.contains(" user=alice "))
                #expect(info.contains(" db=2 "))
            }
        }
    }

    @Test("The subscriber authenticates its connection: messages published through the pool arrive")
    func subscriberAuthenticates() async throws {
        let server = try await ScratchRedisServer.start(arguments: [
            "--requirepass", "not-the-users-password", "--user", "alice", "on", ">" + Self.password, "~*", "&*",
            "+@all",
        ])
        let url = try #require(
            RedisURL("redis://alice:\(Self.encodedPassword)@127.0.0.1:\(server.url.port)/1"))
        try await Self.withPool(url, server: server) { redis in
            let subscriber = try RedisSubscriber(configuration: .init(url: url), logger: .quiet)
            do {
                let subscription = try await subscriber.subscribe(to: "auth:test")
                #expect(try await redis.command(["PUBLISH", "auth:test", "hello"]) == .integer(1))
                let message = try await RedisSubscriberTests.next(subscription)
                #expect(message?.string == "hello")
                let clients = try #require(try await redis.command(["CLIENT", "LIST"]).stringValue)
                let subscriberLine = try #require(clients.split(separator: "\n").first { $0.contains(" sub=1 ") })
                #expect(subscriberLine.contains(" user=alice "))
            } catch {
                await subscriber.shutdown()
                throw error
            }
            await subscriber.shutdown()
        }
    }

    @Test("The probe authenticates: a protected Redis with the right password is reachable, a wrong one is not")
    func probeAuthenticates() async throws {
        let server = try await ScratchRedisServer.start(arguments: ["--requirepass", Self.password])
        do {
            let right = try #require(RedisURL("redis://:\(Self.encodedPassword)@127.0.0.1:\(server.url.port)/0"))
            let wrong = try #require(RedisURL("redis://:wrong-secret@127.0.0.1:\(server.url.port)/0"))

            let good = await RedisProbe(url: right).probe()
            let bad = await RedisProbe(url: wrong).probe()

            #expect(good.reachable, "\(good.message)")
            #expect(!bad.reachable)
            #expect(bad.message == "authentication failed")
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }

    @Test("Refused credentials fail as authenticationFailed, and neither the error nor the URL shows the password")
    func wrongPasswordNeverLeaks() async throws {
        let server = try await ScratchRedisServer.start(arguments: ["--requirepass", Self.password])
        let wrongPassword = "hunter2-wrong-secret"
        let url = try #require(RedisURL("redis://alice:\(wrongPassword)@127.0.0.1:\(server.url.port)/0"))
        try await Self.withPool(url, server: server) { redis in
            let error = try await #require(throws: RedisError.self) { try await redis.command(["PING"]) }

            #expect(error.code == .authenticationFailed)
            #expect(error.isUnavailable)
            for text in [error.message, "\(error)", String(reflecting: error), "\(url)", String(reflecting: url)] {
                #expect(!text.contains(wrongPassword), "\(text)")
            }
            #expect("\(url)" == "redis://alice:***@127.0.0.1:\(server.url.port)/0")
        }
    }

    /// Runs `body` with a pool on `url`, then shuts it and `server` down.
    static func withPool(
        _ url: RedisURL,
        server: ScratchRedisServer,
        maximumConnections: Int = 2,
        _ body: (RedisPool) async throws -> Void
    ) async throws {
        var options = RedisPool.Configuration.Options.defaults
        options.maximumConnections = maximumConnections
        let redis = RedisPool(configuration: .init(url: url, options: options), logger: .quiet)
        do {
            try await body(redis)
        } catch {
            await redis.shutdown()
            await server.destroy()
            throw error
        }
        await redis.shutdown()
        await server.destroy()
    }
}
