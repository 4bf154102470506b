import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Storage
import Testing

@Suite("Pools and the subscriber as Services")
struct StorageServiceTests {
    private static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("A PostgreSQL pool serves while its service runs and is shut down when the group shuts down gracefully")
    func postgresPool() async throws {
        let pool = PostgresPool(configuration: .init(url: try TestEnvironment.databaseURL()), logger: Self.logger)
        try await testGracefulShutdown { trigger in
            async let running: Void = pool.run()
            let rows = try await pool.query("SELECT 41 + 1 AS answer")
            #expect(try rows.first?.decode("answer", as: Int32.self) == 42)
            trigger.triggerGracefulShutdown()
            try await running
        }
        await #expect {
            _ = try await pool.query("SELECT 1")
        } throws: { error in
            (error as? PostgresError)?.code == .poolShutDown
        }
    }

    @Test("A Redis pool and subscriber serve while they run and stop at graceful shutdown, in either order")
    func redisPoolAndSubscriber() async throws {
        let url = try TestEnvironment.redisURL()
        let pool = RedisPool(configuration: .init(url: url), logger: Self.logger)
        let subscriber = try RedisSubscriber(configuration: .init(url: url), logger: Self.logger)
        try await testGracefulShutdown { trigger in
            async let poolRunning: Void = pool.run()
            async let subscriberRunning: Void = subscriber.run()
            let channel = "lifecycle-\(UInt64.random(in: 0...UInt64.max))"
            let subscription = try await subscriber.subscribe(to: channel)
            _ = try await pool.command(["PUBLISH", channel, "hello"])
            var messages = subscription.makeAsyncIterator()
            #expect(await messages.next()?.payload == Array("hello".utf8))
            trigger.triggerGracefulShutdown()
            try await subscriberRunning
            try await poolRunning
        }
        await #expect {
            _ = try await pool.command(["PING"])
        } throws: { error in
            (error as? RedisError)?.code == .shutDown
        }
    }

    @Test("A pool used without running as a service starts on first use, as one-shot commands use it")
    func poolWithoutService() async throws {
        let pool = PostgresPool(configuration: .init(url: try TestEnvironment.databaseURL()), logger: Self.logger)
        let rows = try await pool.query("SELECT 1 AS one")
        #expect(try rows.first?.decode("one", as: Int32.self) == 1)
        await pool.shutdown()
    }
}
