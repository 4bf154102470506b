package import Logging
internal import NIOPosix
internal import Synchronization

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
///
/// As a ``Service`` it runs until graceful shutdown, then shuts down.
package final class RedisSubscriber: Sendable {
    /// The configuration the subscriber was created with.
    package let configuration: Configuration
    private let loop: RedisSubscriberLoop
    private let threads: PoolThreads
    private let logger: Logger
    /// The task running the loop on its thread, once started; `nil` before.
    private let loopTask = Mutex<Task<Void, Never>?>(nil)

    /// Creates the subscriber; nothing starts yet: its thread starts, connects and keeps
    /// reconnecting from its ``Service`` run or its first subscription until ``shutdown()``.
    ///
    /// - Parameters:
    ///   - configuration: Where Redis is and how to behave.
    ///   - logger: Receives connection events.
    /// - Throws: ``RedisError`` when the process is out of file descriptors.
    package init(configuration: Configuration, logger: Logger) throws(RedisError) {
        self.loop = try RedisSubscriberLoop(configuration: configuration, logger: logger)
        self.threads = PoolThreads(count: 1)
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts the subscriber's thread unless it runs (or ran): its ``Service`` run does, and so
    /// does every component that needs it connected before its first subscription.
    package func start() {
        let (loop, threads, logger) = (self.loop, self.threads, self.logger)
        self.loopTask.withLock { task in
            guard task == nil else { return }
            task = Task {
                do {
                    try await threads.run { loop.run() }
                } catch {
                    logger.error("the Redis subscriber thread did not start")
                }
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
    package func subscribe(to channel: String) async throws -> RedisSubscription {
        self.start()
        return try await self.loop.subscribe(to: channel)
    }

    /// Yields each time the connection broke and every channel has been subscribed again on a
    /// new one: messages published in between were lost, so a cache kept fresh by them should
    /// start over. Ends at ``shutdown()``.
    package func resubscriptions() -> AsyncStream<Void> {
        self.loop.resubscriptions()
    }

    /// Whether the subscriber has a connection to Redis now (`false` before it started, while it
    /// reconnects, and after ``shutdown()``): while it has none, published messages are lost.
    package var isConnected: Bool { self.loop.isConnected }

    /// Ends every subscription, closes the connection and stops the thread.
    package func shutdown() async {
        self.loop.stop()
        // A loop that never started has nothing to wait for; none may start after this.
        let task = self.loopTask.withLock { task in
            defer { task = task ?? Task {} }
            return task
        }
        await task?.value
        await self.threads.stop()
    }
}
