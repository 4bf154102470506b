import Dispatch
import Foundation

/// Runs programs for tests that manage a server of their own.
///
/// Programs are started with `posix_spawnp` and reaped with `waitpid` on a dispatch thread, not
/// with Foundation's `Process`: that one learns of an exit when a socket it hands the child closes,
/// which never happens for `pg_ctl start`, whose daemon inherits the socket.
enum ChildProcess {
    /// A program could not be started or exited with a non-zero status.
    struct Failed: Error, CustomStringConvertible {
        var command: [String]
        var status: Int32
        var description: String { "\(self.command.joined(separator: " ")) failed with status \(self.status)" }
    }

    /// Whether the tests run as root, in which case PostgreSQL must run as another user.
    static var isRoot: Bool { getuid() == 0 }

    /// The unprivileged user `scripts/lib/services.sh` runs PostgreSQL and Redis as when started by root.
    static let serviceUser = "metachat-pg"

    /// Runs a program to completion without blocking a thread of the cooperative pool.
    ///
    /// - Parameters:
    ///   - command: The program (looked up on `PATH`) and its arguments.
    ///   - asServiceUser: Run it as ``serviceUser`` (through `runuser`) when the tests run as root.
    static func run(_ command: [String], asServiceUser: Bool = false) async throws {
        let full = asServiceUser && self.isRoot ? ["runuser", "-u", self.serviceUser, "--"] + command : command
        let pid = try self.spawn(full)
        let status = await self.waitForExit(pid)
        guard status == 0 else {
            throw Failed(command: command, status: status)
        }
    }

    /// Starts a program and returns its process id; stop it with ``terminate(_:)``.
    static func launch(_ command: [String]) throws -> pid_t {
        try self.spawn(command)
    }

    /// Sends SIGTERM and waits for the process to exit.
    static func terminate(_ pid: pid_t) async {
        kill(pid, SIGTERM)
        _ = await self.waitForExit(pid)
    }

    /// Makes a directory under `/tmp` that the service user may use.
    static func makeTemporaryDirectory(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw Failed(command: ["mkdtemp"], status: errno)
        }
        let path = String(cString: created)
        if self.isRoot, let user = getpwnam(self.serviceUser) {
            guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw Failed(command: ["chown", path], status: errno)
            }
        }
        return path
    }

    private static func spawn(_ command: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(
                &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        // Threads of this process block signals; without this the child would inherit the mask
        // and ignore SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // `env -C /`: run from the root, which every user may enter, as services.sh does.
        let command = ["env", "-C", "/"] + command
        let arguments = command.map { strdup($0) } + [nil]
        defer {
            for argument in arguments {
                free(argument)
            }
        }
        var pid: pid_t = 0
        let status = arguments.withUnsafeBufferPointer { argv -> Int32 in
            guard let base = argv.baseAddress else { return EINVAL }
            return posix_spawnp(&pid, command[0], &actions, &attributes, base, environ)
        }
        guard status == 0 else {
            throw Failed(command: command, status: status)
        }
        return pid
    }

    private static func waitForExit(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            DispatchQueue.global().async {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 {
                    guard errno == EINTR else {
                        continuation.resume(returning: -1)
                        return
                    }
                }
                // WIFEXITED / WEXITSTATUS, which Swift does not import.
                let exited = status & 0x7F == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F))
            }
        }
    }
}
