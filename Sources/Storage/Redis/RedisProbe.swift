package import NIOPosix

/// Checks that Redis answers `PING`, with hiredis on NIO's thread pool.
package struct RedisProbe: DependencyProbe {
    private let url: RedisURL
    private let threadPool: NIOThreadPool

    /// Creates a probe.
    ///
    /// - Parameters:
    ///   - url: Where Redis listens.
    ///   - threadPool: Where the blocking ping runs; NIO's process-wide pool unless given.
    package init(url: RedisURL, threadPool: NIOThreadPool = .singleton) {
        self.url = url
        self.threadPool = threadPool
    }

    package func probe() async -> DependencyProbeResult {
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

    /// Connects (authenticating and selecting the database as the pool does), sends `PING`,
    /// disconnects. Returns `nil` on success or why it failed, without the URL's credentials.
    private static func ping(_ url: RedisURL) -> String? {
        let connection: HiredisConnection
        do {
            connection = try HiredisConnection.connect(
                url: url, connectTimeout: .seconds(2), commandTimeout: .seconds(2))
        } catch {
            return error.code == .authenticationFailed ? "authentication failed" : "connection failed"
        }
        defer { connection.close() }
        let reply: RedisReply
        do {
            reply = try connection.command([Array("PING".utf8)])
        } catch {
            return "no reply"
        }
        guard reply == .status("PONG") else {
            return "unexpected reply"
        }
        return nil
    }
}
