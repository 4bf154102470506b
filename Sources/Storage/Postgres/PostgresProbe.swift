private import CPostgres
package import NIOPosix

/// Checks that PostgreSQL accepts connections, with libpq's `PQping`.
///
/// The blocking call runs on NIO's thread pool, never on an event loop.
package struct PostgresProbe: DependencyProbe {
    private let conninfo: String
    private let threadPool: NIOThreadPool

    /// Creates a probe.
    ///
    /// - Parameters:
    ///   - databaseURL: A libpq connection URI such as `postgresql://user:pw@host:port/db`; a
    ///     Prisma-style `schema=NAME` parameter is ignored.
    ///   - connectTimeoutSeconds: How long one check may wait for the server.
    ///   - threadPool: Where the blocking ping runs; NIO's process-wide pool unless given.
    package init(databaseURL: String, connectTimeoutSeconds: Int = 2, threadPool: NIOThreadPool = .singleton) {
        // A Prisma-style `schema` parameter would make libpq reject the URL; the schema does not
        // matter for a ping.
        let url = PostgresConnectionURL.removingSchemaParameter(databaseURL).url
        let separator = url.contains("?") ? "&" : "?"
        self.conninfo = url + separator + "connect_timeout=\(connectTimeoutSeconds)"
        self.threadPool = threadPool
    }

    package func probe() async -> DependencyProbeResult {
        let conninfo = self.conninfo
        let clock = ContinuousClock()
        let start = clock.now
        let ping: PGPing
        do {
            ping = try await self.threadPool.runIfActive { PQping(conninfo) }
        } catch {
            return DependencyProbeResult(reachable: false, latencyMilliseconds: 0, message: "thread pool unavailable")
        }
        let elapsed = (clock.now - start).milliseconds
        switch ping {
        case PQPING_OK:
            return DependencyProbeResult(
                reachable: true, latencyMilliseconds: elapsed, message: "accepting connections")
        case PQPING_REJECT:
            return DependencyProbeResult(
                reachable: false, latencyMilliseconds: elapsed, message: "rejecting connections")
        case PQPING_NO_RESPONSE:
            return DependencyProbeResult(reachable: false, latencyMilliseconds: elapsed, message: "no response")
        default:
            return DependencyProbeResult(
                reachable: false, latencyMilliseconds: elapsed, message: "invalid connection settings")
        }
    }
}
