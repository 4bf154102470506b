import Foundation
import Storage
import Synchronization
import Testing

/// A Redis server of a test's own, on a free loopback port, that the test may stop and start
/// without disturbing the shared test server. No persistence.
final class ScratchRedisServer: Sendable {
    /// Where it listens, kept across restarts.
    let url: RedisURL
    private let directory: String
    private let process = Mutex<pid_t?>(nil)

    private init(url: RedisURL, directory: String) {
        self.url = url
        self.directory = directory
    }

    /// Starts a server and waits until it answers `PING`, on another free port if the first one
    /// was taken meanwhile.
    static func start() async throws -> ScratchRedisServer {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try await ClosedPort.make()
            let url = try #require(RedisURL("redis://127.0.0.1:\(port)/0"))
            let server = ScratchRedisServer(
                url: url, directory: try ChildProcess.makeTemporaryDirectory(prefix: "metachat-scratch-redis"))
            do {
                try await server.startServer()
                return server
            } catch {
                lastError = error
                await server.destroy()
            }
        }
        throw lastError ?? ChildProcess.Failed(command: ["redis-server"], status: -1)
    }

    /// Starts the server on its port and waits until it answers `PING`.
    func startServer() async throws {
        let launched = try ChildProcess.launch([
            "redis-server", "--port", "\(self.url.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", self.directory, "--daemonize", "no",
        ])
        self.process.withLock { $0 = launched }
        let probe = RedisProbe(url: self.url)
        try await Deadline.poll("scratch Redis to answer PING", within: .seconds(10)) {
            await probe.probe().reachable
        }
    }

    /// Stops the server (SIGTERM) and waits until it exited.
    func stopServer() async {
        let running = self.process.withLock { process in
            defer { process = nil }
            return process
        }
        if let running {
            await ChildProcess.terminate(running)
        }
    }

    /// Stops the server and deletes its directory.
    func destroy() async {
        await self.stopServer()
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}
