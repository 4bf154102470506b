public import Logging
internal import NIOPosix

/// One Redis connection in subscribe mode, shared by every subscription of the process.
///
/// The connection is read by a dedicated thread, never an event loop or the cooperative pool.
/// After Redis restarts the subscriber reconnects (delay doubling from
/// ``Configuration/initialReconnectDelay`` to ``Configuration/maximumReconnectDelay``) and
/// subscribes again to every channel that has subscriptions.
///
/// ```swift
/// let subscriber = try RedisSubscriber(configuration: .init(url: redisURL), logger: logger)
/// let events = try await subscriber.subscribe(to: "tenant:\(tenantID):events")
/// for await message in events { handle(message.payload) }
/// await subscriber.shutdown()
/// ```
public final class RedisSubscriber: Sendable {
    /// The configuration the subscriber was created with.
    public let configuration: Configuration
    private let loop: RedisSubscriberLoop
    private let threadPool: NIOThreadPool
    private let loopTask: Task<Void, Never>

    /// Starts the subscriber's thread, which connects at once and keeps reconnecting until
    /// ``shutdown()``.
    ///
    /// - Parameters:
    ///   - configuration: Where Redis is and how to behave.
    ///   - logger: Receives connection events.
    /// - Throws: ``RedisError`` when the process is out of file descriptors.
    public init(configuration: Configuration, logger: Logger) throws(RedisError) {
        let loop = try RedisSubscriberLoop(configuration: configuration, logger: logger)
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        self.configuration = configuration
        self.loop = loop
        self.threadPool = threadPool
        self.loopTask = Task {
            do {
                try await threadPool.runIfActive { loop.run() }
            } catch {
                logger.error("the Redis subscriber thread did not start")
            }
        }
    }

    /// Subscribes to a channel and returns once Redis confirmed it, so every message published
    /// afterwards is delivered.
    ///
    /// - Parameter channel: The channel's name.
    /// - Throws: ``RedisError`` with code ``RedisError/Code/timeout`` when Redis did not confirm
    ///   within ``Configuration/subscribeTimeout`` (e.g. it is down), ``RedisError/Code/shutDown``
    ///   after ``shutdown()``, or `CancellationError`.
    public func subscribe(to channel: String) async throws -> RedisSubscription {
        try await self.loop.subscribe(to: channel)
    }

    /// Yields each time the connection broke and every channel has been subscribed again on a
    /// new one: messages published in between were lost, so a cache kept fresh by them should
    /// start over. Ends at ``shutdown()``.
    public func resubscriptions() -> AsyncStream<Void> {
        self.loop.resubscriptions()
    }

    /// Ends every subscription, closes the connection and stops the thread.
    public func shutdown() async {
        self.loop.stop()
        await self.loopTask.value
        do {
            try await self.threadPool.shutdownGracefully()
        } catch {
            // The pool had one job, which has returned; there is nothing left to stop.
        }
    }
}
