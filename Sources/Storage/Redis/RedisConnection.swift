internal import NIOPosix
internal import Synchronization

/// A pooled Redis connection leased to one closure (``RedisPool/withConnection(isolation:_:)``),
/// for command sequences that need one connection (`WATCH`/`MULTI`/`EXEC`); using it after that
/// closure returns fails with ``RedisError/Code/connectionNotLeased``.
package struct RedisConnection: Sendable {
    /// Whether the lease is still held; shared by every copy of the handle.
    final class Lease: Sendable {
        private let active = Mutex(true)

        var isActive: Bool { self.active.withLock { $0 } }

        func end() {
            self.active.withLock { $0 = false }
        }
    }

    let connection: HiredisConnection
    let lease: Lease
    let threadPool: PoolThreads
    let statistics: RedisCommandStatistics

    /// Sends one command and returns its reply.
    ///
    /// ```swift
    /// let reply = try await connection.command(["INCR", "visits"])   // .integer(1)
    /// ```
    ///
    /// - Throws: ``RedisError``; an error reply is thrown with code ``RedisError/Code/errorReply``.
    package func command(_ arguments: [any RedisArgument]) async throws -> RedisReply {
        let bytes = arguments.map(\.redisBytes)
        guard self.lease.isActive else {
            throw RedisError(
                code: .connectionNotLeased,
                message: "a RedisConnection was used after the closure that leased it returned"
            )
        }
        let connection = self.connection
        let started = ContinuousClock.now
        let reply: RedisReply
        do {
            reply = try await self.threadPool.run { try connection.command(bytes) }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw RedisError(code: .shutDown, message: "the Redis pool is shut down")
        } catch let error as RedisError {
            self.statistics.record(duration: ContinuousClock.now - started, failure: error.code)
            throw error
        }
        if case .error(let message) = reply {
            self.statistics.record(duration: ContinuousClock.now - started, failure: .errorReply)
            throw RedisError(code: .errorReply, message: message)
        }
        self.statistics.record(duration: ContinuousClock.now - started, failure: nil)
        return reply
    }

    /// Runs a Lua script with `EVALSHA`, sending its source with `EVAL` when Redis does not have
    /// it cached.
    ///
    /// - Parameters:
    ///   - script: The script.
    ///   - keys: The keys it touches (`KEYS[1]`, …).
    ///   - arguments: Its other arguments (`ARGV[1]`, …).
    package func evaluate(
        _ script: RedisScript,
        keys: [any RedisArgument] = [],
        arguments: [any RedisArgument] = []
    ) async throws -> RedisReply {
        let tail: [any RedisArgument] = [keys.count] + keys + arguments
        do {
            return try await self.command(["EVALSHA", script.sha1] + tail)
        } catch let error as RedisError where error.isNoScript {
            return try await self.command(["EVAL", script.source] + tail)
        }
    }
}
