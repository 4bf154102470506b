import Foundation

/// A PostgreSQL cluster of a test's own, on a free loopback port, that the test may stop and start
/// without disturbing the shared test server. It runs as `scripts/lib/services.sh` runs the shared
/// one: `pg_ctl` from `METACHAT_PG_BIN`, as the `metachat-pg` user when the tests run as root.
/// Authentication is `trust` on loopback: the cluster lives for one test in a private directory.
struct ScratchPostgresServer {
    /// The cluster's directory (data, socket, log).
    let directory: String
    /// The TCP port it listens on, kept across restarts.
    let port: Int
    private let binDirectory: String

    /// A libpq URI for the superuser.
    var url: String { "postgresql://postgres@127.0.0.1:\(self.port)/postgres" }

    /// Creates a cluster and starts it, on another free port if the first one was taken meanwhile.
    static func start() async throws -> ScratchPostgresServer {
        let binDirectory = try TestEnvironment.postgresBinDirectory()
        let directory = try ChildProcess.makeTemporaryDirectory(prefix: "metachat-scratch-pg")
        var lastError: (any Error)?
        do {
            try await ChildProcess.run(
                [
                    "\(binDirectory)/initdb", "-D", "\(directory)/data", "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--no-sync",
                ],
                asServiceUser: true
            )
            for _ in 0..<3 {
                let server = ScratchPostgresServer(
                    directory: directory, port: try await ClosedPort.make(), binDirectory: binDirectory)
                do {
                    try await server.startServer()
                    return server
                } catch {
                    // `pg_ctl -w` may give up while the server still comes up (a loaded machine):
                    // stop whatever started before trying another port, so nothing is left running.
                    lastError = error
                    await server.stopIfRunning()
                }
            }
        } catch {
            lastError = error
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw lastError ?? ChildProcess.Failed(command: ["pg_ctl", "start"], status: -1)
    }

    /// Starts the server and waits until it accepts connections (`pg_ctl -w`).
    func startServer() async throws {
        try await ChildProcess.run(
            [
                "\(self.binDirectory)/pg_ctl", "-D", "\(self.directory)/data", "-l", "\(self.directory)/postgres.log",
                "-w", "-t", "60",
                "-o", "-p \(self.port) -k \(self.directory) -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ],
            asServiceUser: true
        )
    }

    /// Stops the server (`pg_ctl stop -m fast`: sessions are terminated) and waits until it is down.
    func stopServer() async throws {
        try await ChildProcess.run(
            ["\(self.binDirectory)/pg_ctl", "-D", "\(self.directory)/data", "-m", "fast", "-w", "-t", "60", "stop"],
            asServiceUser: true
        )
    }

    /// Stops the server if it runs and deletes the cluster.
    func destroy() async {
        await self.stopIfRunning()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// Stops the server at once (`-m immediate`) if it runs; errors (none running) are ignored.
    func stopIfRunning() async {
        try? await ChildProcess.run(
            ["\(self.binDirectory)/pg_ctl", "-D", "\(self.directory)/data", "-m", "immediate", "-w", "stop"],
            asServiceUser: true
        )
    }
}
