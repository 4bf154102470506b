package import Logging
internal import NIOPosix

/// A small pool of Redis command connections over hiredis.
///
/// hiredis runs on a thread pool with one thread per connection, owned by the pool, so no call
/// blocks an event loop or the Swift cooperative pool. A connection whose server went away while
/// it sat idle is replaced on its next use, so commands succeed again as soon as Redis is back.
///
/// ```swift
/// let redis = RedisPool(configuration: .init(url: redisURL), logger: logger)
/// try await redis.command(["SET", "greeting", "hello", "EX", 60])
/// let value = try await redis.command(["GET", "greeting"]).stringValue
/// await redis.shutdown()
/// ```
///
/// Publishing is a command (`PUBLISH`); receiving uses ``RedisSubscriber``. As a ``Service`` it
/// runs until graceful shutdown, then shuts down; used on its own, call ``shutdown()`` before
/// the pool is released.
package final class RedisPool: Sendable {
    /// The configuration the pool was created with.
    package let configuration: Configuration
    private let logger: Logger
    private let threadPool: PoolThreads
    private let pool: ConnectionPool<HiredisConnection>

    /// How long callers have waited for a connection, summed, and how many asked (for `/metrics`).
    package var waitTotals: PoolWaitTotals { self.pool.waitTotals }
    /// The commands sent on the pool's connections: latency and failures (for `/metrics`).
    package let commandStatistics = RedisCommandStatistics()

    /// Creates a pool; nothing starts yet: its threads start with its ``Service`` run or its
    /// first connection, and connections open on first use.
    ///
    /// - Parameters:
    ///   - configuration: Where Redis is and how to use it.
    ///   - logger: Receives connection events (never keys or values).
    package init(configuration: Configuration, logger: Logger) {
        let options = configuration.options
        let maximum = max(1, options.maximumConnections)
        let threadPool = PoolThreads(count: maximum)
        let url = configuration.url
        self.configuration = configuration
        self.logger = logger
        self.threadPool = threadPool
        self.pool = ConnectionPool(
            maximum: maximum,
            acquireTimeout: options.acquireTimeout,
            open: {
                do {
                    return try await threadPool.run {
                        try HiredisConnection.connect(
                            url: url, connectTimeout: options.connectTimeout, commandTimeout: options.commandTimeout)
                    }
                } catch let error as RedisError {
                    logger.warning("could not open a Redis connection", metadata: ["error": "\(error.message)"])
                    throw error
                } catch is NIOThreadPoolError.ThreadPoolInactive {
                    throw RedisError(code: .shutDown, message: "the Redis pool is shut down")
                }
            },
            close: { connection in
                do {
                    try await threadPool.run { connection.close() }
                } catch {
                    connection.close()
                }
            }
        )
    }

    /// Leases a connection for the duration of `body`; it goes back to the pool afterwards, or is
    /// closed if `body` left it broken.
    ///
    /// - Throws: ``RedisError`` (``RedisError/Code/acquireTimeout``,
    ///   ``RedisError/Code/connectionFailed``, ``RedisError/Code/shutDown``) or what `body` threw.
    @discardableResult
    package func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RedisConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let connection: HiredisConnection
        do {
            connection = try await self.pool.acquire()
        } catch ConnectionPoolFailure.acquireTimeout {
            throw RedisError(
                code: .acquireTimeout, message: "no Redis connection became free within the acquire timeout")
        } catch ConnectionPoolFailure.shutDown {
            throw RedisError(code: .shutDown, message: "the Redis pool is shut down")
        }
        connection.beginLease()
        let handle = RedisConnection(
            connection: connection, lease: RedisConnection.Lease(), threadPool: self.threadPool,
            statistics: self.commandStatistics)
        do {
            let result = try await body(handle)
            handle.lease.end()
            await self.pool.release(connection, reusable: connection.isReusable)
            return result
        } catch {
            handle.lease.end()
            await self.pool.release(connection, reusable: connection.isReusable)
            throw error
        }
    }

    /// Sends one command on a pooled connection and returns its reply.
    ///
    /// - Throws: ``RedisError``; an error reply is thrown with code ``RedisError/Code/errorReply``.
    package func command(_ arguments: [any RedisArgument]) async throws -> RedisReply {
        try await self.withConnection { try await $0.command(arguments) }
    }

    /// Runs a Lua script (see ``RedisConnection/evaluate(_:keys:arguments:)``).
    package func evaluate(
        _ script: RedisScript,
        keys: [any RedisArgument] = [],
        arguments: [any RedisArgument] = []
    ) async throws -> RedisReply {
        try await self.withConnection { try await $0.evaluate(script, keys: keys, arguments: arguments) }
    }

    /// Starts the threads (they also start with the first connection).
    func startThreads() {
        self.threadPool.start()
    }

    /// Stops the pool: waiting callers fail, connections close (those in use when they come back),
    /// then the threads stop.
    package func shutdown() async {
        await self.pool.shutDown()
        if !(await self.threadPool.stop()) {
            self.logger.warning("the Redis pool's threads did not stop cleanly")
        }
    }
}
