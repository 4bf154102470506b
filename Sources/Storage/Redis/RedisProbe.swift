private import CHiredis
internal import Glibc
public import NIOPosix

/// Checks that Redis answers `PING`, with hiredis on NIO's thread pool.
public struct RedisProbe: DependencyProbe {
    private let url: RedisURL
    private let threadPool: NIOThreadPool

    /// Creates a probe.
    ///
    /// - Parameters:
    ///   - url: Where Redis listens.
    ///   - threadPool: Where the blocking ping runs; NIO's process-wide pool unless given.
    public init(url: RedisURL, threadPool: NIOThreadPool = .singleton) {
        self.url = url
        self.threadPool = threadPool
    }

    public func probe() async -> DependencyProbeResult {
        let url = self.url
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: String?
        do {
            outcome = try await self.threadPool.runIfActive { Self.ping(url) }
        } catch {
            return DependencyProbeResult(reachable: false, latencyMilliseconds: 0, message: "thread pool unavailable")
        }
        let elapsed = (clock.now - start).milliseconds
        if let failure = outcome {
            return DependencyProbeResult(reachable: false, latencyMilliseconds: elapsed, message: failure)
        }
        return DependencyProbeResult(reachable: true, latencyMilliseconds: elapsed, message: "PONG")
    }

    /// Connects, sends `PING`, disconnects. Returns `nil` on success or why it failed.
    private static func ping(_ url: RedisURL) -> String? {
        let timeout = timeval(tv_sec: 2, tv_usec: 0)
        guard let context = redisConnectWithTimeout(url.host, Int32(url.port), timeout) else {
            return "could not allocate a connection"
        }
        defer { redisFree(context) }
        guard context.pointee.err == 0 else {
            return "connection failed"
        }
        let command = "PING"
        let reply: UnsafeMutableRawPointer? = command.withCString { pointer in
            var argv: [UnsafePointer<CChar>?] = [pointer]
            var lengths: [Int] = [command.utf8.count]
            return redisCommandArgv(context, 1, &argv, &lengths)
        }
        guard let reply else { return "no reply" }
        defer { freeReplyObject(reply) }
        let typed = reply.assumingMemoryBound(to: redisReply.self)
        guard typed.pointee.type == REDIS_REPLY_STATUS, let text = typed.pointee.str, String(cString: text) == "PONG"
        else {
            return "unexpected reply"
        }
        return nil
    }
}
