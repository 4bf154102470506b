import Foundation
import Storage
import Testing

@Suite("RedisSubscriber")
struct RedisSubscriberTests {
    @Test("A message published after subscribe returns is delivered to every subscription of the channel")
    func deliversToEverySubscription() async throws {
        let url = try TestEnvironment.redisURL()
        try await Self.with(url: url) { redis, subscriber in
            let channel = "test:" + UUID().uuidString
            let first = try await subscriber.subscribe(to: channel)
            let second = try await subscriber.subscribe(to: channel)

            let receivers = try await redis.command(["PUBLISH", channel, "hello"])
            let one = try await Self.next(first)
            let two = try await Self.next(second)

            #expect(receivers == .integer(1))  // One connection, however many subscriptions.
            #expect(one == RedisPubSubMessage(channel: channel, payload: Array("hello".utf8)))
            #expect(two?.string == "hello")
        }
    }

    @Test("Messages arrive only on their own channel, in order")
    func channelsAreSeparate() async throws {
        let url = try TestEnvironment.redisURL()
        try await Self.with(url: url) { redis, subscriber in
            let news = "test:news:" + UUID().uuidString
            let sport = "test:sport:" + UUID().uuidString
            let newsMessages = try await subscriber.subscribe(to: news)
            let sportMessages = try await subscriber.subscribe(to: sport)

            for text in ["a", "b", "c"] {
                _ = try await redis.command(["PUBLISH", news, text])
            }
            _ = try await redis.command(["PUBLISH", sport, "goal"])

            #expect(try await Self.next(newsMessages)?.string == "a")
            #expect(try await Self.next(newsMessages)?.string == "b")
            #expect(try await Self.next(newsMessages)?.string == "c")
            #expect(try await Self.next(sportMessages)?.string == "goal")
        }
    }

    @Test("Once its last subscription is cancelled the channel is unsubscribed in Redis")
    func cancellingUnsubscribes() async throws {
        let url = try TestEnvironment.redisURL()
        try await Self.with(url: url) { redis, subscriber in
            let channel = "test:" + UUID().uuidString
            let subscription = try await subscriber.subscribe(to: channel)
            #expect(try await redis.command(["PUBSUB", "NUMSUB", channel]).arrayValue?.last == .integer(1))

            subscription.cancel()

            try await Deadline.poll("Redis to drop the subscription", within: .seconds(10)) {
                try await redis.command(["PUBSUB", "NUMSUB", channel]).arrayValue?.last == .integer(0)
            }
            #expect(try await Self.next(subscription) == nil)
        }
    }

    @Test("After Redis restarts the subscriber resubscribes by itself and delivery resumes")
    func resubscribesAfterRestart() async throws {
        let server = try await ScratchRedisServer.start()
        do {
            try await Self.with(url: server.url) { redis, subscriber in
                let channel = "test:restart"
                let subscription = try await subscriber.subscribe(to: channel)
                _ = try await redis.command(["PUBLISH", channel, "before"])
                #expect(try await Self.next(subscription)?.string == "before")

                await server.stopServer()
                try await server.startServer()
                // Poll until Redis counts a subscriber again: that is the resubscription.
                try await Deadline.poll("the subscriber to resubscribe", within: .seconds(20)) {
                    (try? await redis.command(["PUBLISH", channel, "probe"]))?.integerValue == 1
                }
                _ = try await redis.command(["PUBLISH", channel, "after"])

                var received: [String] = []
                while received.last != "after", let message = try await Self.next(subscription) {
                    received.append(message.string ?? "")
                }
                #expect(received.last == "after")
                #expect(received.dropLast().allSatisfy { $0 == "probe" })
            }
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }

    @Test("After the connection broke, resubscriptions() yields once every channel is subscribed again")
    func announcesResubscription() async throws {
        let server = try await ScratchRedisServer.start()
        do {
            try await Self.with(url: server.url) { redis, subscriber in
                let channel = "test:resubscribed"
                let subscription = try await subscriber.subscribe(to: channel)
                let resubscriptions = subscriber.resubscriptions()
                _ = try await redis.command(["PUBLISH", channel, "before"])
                #expect(try await Self.next(subscription)?.string == "before")

                await server.stopServer()
                try await server.startServer()
                let announced = try await Deadline.run("the resubscription", within: .seconds(20)) {
                    var iterator = resubscriptions.makeAsyncIterator()
                    return await iterator.next() != nil
                }
                #expect(announced == true)
                // Announced only after the channel was confirmed: a message published now arrives.
                let listeners = try await redis.command(["PUBLISH", channel, "after"])
                #expect(listeners.integerValue == 1)
                #expect(try await Self.next(subscription)?.string == "after")
            }
        } catch {
            await server.destroy()
            throw error
        }
        await server.destroy()
    }

    @Test("Subscribing while Redis is unreachable fails after the subscribe timeout")
    func subscribeTimesOutWithoutRedis() async throws {
        let port = try await ClosedPort.make()
        let url = try #require(RedisURL("redis://127.0.0.1:\(port)/0"))
        var configuration = RedisSubscriber.Configuration(url: url)
        configuration.subscribeTimeout = .milliseconds(300)
        let subscriber = try RedisSubscriber(configuration: configuration, logger: .quiet)

        let error = await #expect(throws: RedisError.self) { try await subscriber.subscribe(to: "nowhere") }
        await subscriber.shutdown()

        #expect(error?.code == .timeout)
        #expect(error?.isUnavailable == true)
    }

    @Test("Shutdown ends the subscriptions")
    func shutdownEndsSubscriptions() async throws {
        let subscriber = try RedisSubscriber(
            configuration: .init(url: try TestEnvironment.redisURL()), logger: .quiet)
        let subscription = try await subscriber.subscribe(to: "test:" + UUID().uuidString)

        await subscriber.shutdown()

        #expect(try await Self.next(subscription) == nil)
    }

    /// The next message, or `nil` when the subscription ended; fails after 10 seconds.
    static func next(_ subscription: RedisSubscription) async throws -> RedisPubSubMessage? {
        try await Deadline.run("a published message", within: .seconds(10)) {
            var iterator = subscription.makeAsyncIterator()
            return .some(await iterator.next())
        } ?? nil
    }

    /// Runs `body` with a pool and a subscriber on `url`, both shut down afterwards.
    static func with(
        url: RedisURL,
        _ body: (RedisPool, RedisSubscriber) async throws -> Void
    ) async throws {
        let redis = RedisPool(configuration: .init(url: url), logger: .quiet)
        let subscriber: RedisSubscriber
        do {
            subscriber = try RedisSubscriber(configuration: .init(url: url), logger: .quiet)
        } catch {
            await redis.shutdown()
            throw error
        }
        do {
            try await body(redis, subscriber)
        } catch {
            await subscriber.shutdown()
            await redis.shutdown()
            throw error
        }
        await subscriber.shutdown()
        await redis.shutdown()
    }
}
