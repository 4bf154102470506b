import Foundation
import Storage
import Synchronization
import Testing

/// A loopback port with nothing listening (connections are refused at once), on which a test may
/// later start a Redis server of its own, to take Redis away from a component and give it back.
///
/// The port stays bound, without listening, by a socket with `SO_REUSEADDR` held until the end of
/// the run, so no other socket is given the port meanwhile; Redis binds it with `SO_REUSEADDR` too.
final class RedisOnFreePort: Sendable {
    /// Where the server listens when it runs.
    let url: RedisURL
    private let holder: Int32
    private let process = Mutex<pid_t?>(nil)

    /// Reserves a port; nothing listens on it yet.
    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(socket >= 0)
        var yes: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        try #require(ok, "could not reserve a port (errno \(errno))")
        self.holder = socket
        self.url = try #require(RedisURL("redis://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/0"))
    }

    deinit {
        close(self.holder)
    }

    /// Starts `redis-server` on the port (no persistence) and waits until it answers.
    func start() async throws {
        let arguments = [
            "redis-server", "--port", "\(self.url.port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", NSTemporaryDirectory(),
        ]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
        }
        // The test process blocks signals on its threads; the server must get SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var cArguments = arguments.map { strdup($0) }
        defer { for argument in cArguments { free(argument) } }
        cArguments.append(nil)
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "redis-server", &actions, &attributes, &cArguments, environ)
        try #require(spawned == 0, "could not start redis-server (error \(spawned))")
        self.process.withLock { $0 = pid }
        let probe = RedisProbe(url: self.url)
        try await Polling.until("Redis on port \(self.url.port) to answer", within: .seconds(10)) {
            await probe.probe().reachable
        }
    }

    /// Stops the server (SIGTERM) and waits until it exited.
    func stop() async throws {
        guard let pid = self.process.withLock({ $0.take() }) else { return }
        kill(pid, SIGTERM)
        try await Polling.until("Redis to exit", within: .seconds(10)) {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            return reaped == pid || (reaped == -1 && errno == ECHILD)
        }
    }
}
