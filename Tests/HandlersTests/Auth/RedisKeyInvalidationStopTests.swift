import Storage
import Testing

@testable import Handlers

@Suite("Key-change invalidation: stopping", .serialized)
struct RedisKeyInvalidationStopTests {
    @Test("After stop, a start that completes (as a background retry can) leaves nothing listening")
    func startAfterStop() async throws {
        try await MigratedDatabase.with { pool in
            let url = try TestEnvironment.redisURL()
            let redis = RedisPool(configuration: .init(url: url), logger: .quiet)
            let subscriber = try RedisSubscriber(configuration: .init(url: url), logger: .quiet)
            let invalidation = RedisKeyInvalidation(
                directory: KeyDirectory(pool: pool), redis: redis, subscriber: subscriber, logger: .quiet)
            try await invalidation.start()
            let listening = invalidation.listenerCount
            await invalidation.stop()
            let afterStop = invalidation.listenerCount
            await #expect(throws: CancellationError.self) {
                try await invalidation.start()
            }
            let afterLateStart = invalidation.listenerCount
            let madeAtOnce = await invalidation.startRetrying(every: .milliseconds(10))
            let afterRetry = invalidation.listenerCount
            await subscriber.shutdown()
            await redis.shutdown()

            #expect(listening == 3, "key, tenant and resubscription listeners")
            #expect(afterStop == 0)
            #expect(afterLateStart == 0)
            #expect(!madeAtOnce)
            #expect(afterRetry == 0, "no retry task is kept after stop")
        }
    }
}
