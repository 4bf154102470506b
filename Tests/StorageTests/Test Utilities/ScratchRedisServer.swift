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
    private let arguments: [String]
    private let process = Mutex<pid_t?>(nil)

    private init(url: RedisURL, directory: String, arguments: [String]) {
        self.url = url
        self.directory = directory
        self.arguments = arguments
    }

    /// Starts a server and waits until it accepts connections, on another free port if the first
    /// one was taken meanwhile.
    ///
    /// - Parameter arguments: More `redis-server` arguments, e.g. `--requirepass secret`.
    static func start(arguments: [String] = []) async throws -> ScratchRedisServer {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try await ClosedPort.make()
            let url = try #require(RedisURL("redis://127.0.0.1:\(port)/0"))
            let server = ScratchRedisServer(
                url: url, directory: try ChildProcess.makeTemporaryDirectory(prefix: "metachat-scratch-redis"),
                arguments: arguments)
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

    /// Starts the server on its port and waits until it accepts connections (a TCP connect, so
    /// that a server asking for a password is ready as soon as one without).
    func startServer() async throws {
        let launched = try ChildProcess.launch(
            [
                "redis-server", "--port", "\(self.url.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.directory, "--daemonize", "no",
            ] + self.arguments)
        self.process.withLock { $0 = launched }
        let port = self.url.port
        try await Deadline.poll("scratch Redis to accept connections", within: .seconds(10)) {
            Self.acceptsConnections(port: port)
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    private static func acceptsConnections(port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
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
