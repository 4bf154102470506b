package import Logging
package import Storage
internal import Synchronization

/// Spreads key and tenant changes to every server instance through Redis pub/sub, so a rotation,
/// revocation or tenant change takes effect everywhere within about a second.
///
/// ``keyChanged(keyID:)`` publishes the id on ``keyChannel`` (and drops the local entry at once);
/// ``tenantChanged(tenantID:)`` on ``tenantChannel``. After ``start()`` every instance listens on
/// both and drops the matching ``KeyDirectory`` entries.
///
/// ```swift
/// let invalidation = RedisKeyInvalidation(directory: directory, redis: redisPool, subscriber: subscriber, logger: logger)
/// try await invalidation.start()
/// // SecurityHandler(keyChanges: invalidation, ...), TenantHandler(tenantChanges: invalidation, ...)
/// await invalidation.stop()
/// ```
package final class RedisKeyInvalidation: KeyChangeListener, TenantChangeListener {
    /// The channel carrying changed key ids.
    package static let keyChannel = "metachat:keys:changed"
    /// The channel carrying changed tenant ids.
    package static let tenantChannel = "metachat:tenants:changed"

    private let directory: KeyDirectory
    private let redis: RedisPool
    private let subscriber: RedisSubscriber
    private let logger: Logger
    private let listeners = Mutex(Listeners())

    /// The tasks listening (or retrying to), and whether ``stop()`` was called: a ``start()``
    /// finishing after it (a background retry) must not leave listeners running.
    private struct Listeners {
        var tasks: [Task<Void, Never>] = []
        var stopped = false
    }

    /// Creates the invalidation; call ``start()`` to listen.
    ///
    /// - Parameters:
    ///   - directory: The cache to invalidate.
    ///   - redis: Publishes changes.
    ///   - subscriber: Receives changes.
    ///   - logger: Receives publish failures.
    package init(directory: KeyDirectory, redis: RedisPool, subscriber: RedisSubscriber, logger: Logger) {
        self.directory = directory
        self.redis = redis
        self.subscriber = subscriber
        self.logger = logger
    }

    /// Subscribes to both channels and returns once Redis confirmed, so every change published
    /// afterwards reaches this instance. Whenever the subscriber loses its connection and
    /// subscribes again, the whole directory is dropped: changes published in between were missed.
    ///
    /// - Throws: ``RedisError`` when Redis did not confirm in time; the directory's entry lifetime
    ///   still bounds how long a stale entry lives. `CancellationError` after ``stop()``.
    package func start() async throws {
        let keys = try await self.subscriber.subscribe(to: Self.keyChannel)
        let tenants: RedisSubscription
        do {
            tenants = try await self.subscriber.subscribe(to: Self.tenantChannel)
        } catch {
            keys.cancel()
            throw error
        }
        let directory = self.directory
        let keyTask = Task {
            for await message in keys {
                if let id = message.string { directory.invalidate(keyID: id) }
            }
        }
        let tenantTask = Task {
            for await message in tenants {
                if let id = message.string { directory.invalidate(tenantID: id) }
            }
        }
        let resubscriptions = self.subscriber.resubscriptions()
        let logger = self.logger
        let resubscriptionTask = Task {
            for await _ in resubscriptions {
                directory.invalidateAll()
                logger.info("key-change subscription restored; key cache dropped")
            }
        }
        guard self.keep([keyTask, tenantTask, resubscriptionTask]) else {
            for task in [keyTask, tenantTask, resubscriptionTask] {
                task.cancel()
            }
            keys.cancel()
            tenants.cancel()
            throw CancellationError()
        }
    }

    /// Records tasks to cancel on ``stop()``; `false`, recording nothing, once it was called.
    private func keep(_ tasks: [Task<Void, Never>]) -> Bool {
        self.listeners.withLock { listeners in
            guard !listeners.stopped else { return false }
            listeners.tasks += tasks
            return true
        }
    }

    /// How many listening or retrying tasks are kept, for tests.
    var listenerCount: Int { self.listeners.withLock { $0.tasks.count } }

    /// ``start()``, and when Redis does not confirm, keeps trying every `retryInterval` in the
    /// background until it does, then drops the whole directory (changes published meanwhile
    /// were missed). Until then the directory's entry lifetime bounds how stale an entry gets.
    ///
    /// - Parameter retryInterval: Time between attempts (1 s unless given).
    /// - Returns: Whether the subscription was made at once.
    @discardableResult
    package func startRetrying(every retryInterval: Duration = .seconds(1)) async -> Bool {
        do {
            try await self.start()
            return true
        } catch {
            self.logger.warning(
                "key-change subscription failed; retrying in the background", metadata: ["error": "\(error)"])
        }
        let retry = Task {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: retryInterval)
                    try await self.start()
                    self.directory.invalidateAll()
                    self.logger.info("key-change subscription made; key cache dropped")
                    return
                } catch is CancellationError {
                    return
                } catch {
                    continue
                }
            }
        }
        if !self.keep([retry]) {
            retry.cancel()
        }
        return false
    }

    /// Stops listening, for good: a ``start()`` still in progress (a background retry) ends
    /// with `CancellationError` and leaves nothing running.
    package func stop() async {
        let tasks = self.listeners.withLock { listeners in
            listeners.stopped = true
            defer { listeners.tasks = [] }
            return listeners.tasks
        }
        for task in tasks {
            task.cancel()
            await task.value
        }
    }

    package func keyChanged(keyID: String) async {
        self.directory.invalidate(keyID: keyID)
        await self.publish(keyID, on: Self.keyChannel)
    }

    package func tenantChanged(tenantID: String) async {
        self.directory.invalidate(tenantID: tenantID)
        await self.publish(tenantID, on: Self.tenantChannel)
    }

    private func publish(_ id: String, on channel: String) async {
        await RedisKeyChangePublisher.publish(id, on: channel, redis: self.redis, logger: self.logger)
    }
}
