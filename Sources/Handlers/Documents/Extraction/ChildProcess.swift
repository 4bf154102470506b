#if canImport(Glibc)
    internal import Glibc
#endif

/// Runs a helper program (`pdftotext`) as a child process: no shell, standard input from
/// `/dev/null`, standard output discarded, standard error to a file; killed when it runs past its
/// time limit.
enum ChildProcess {
    /// The status ``run(_:_:stderrPath:timeLimit:)`` reports for a child killed at its limit.
    static let timedOut: Int32 = -2

    /// Runs `executable` with `arguments` and returns its exit status (`timedOut`, or `-1` when
    /// it was ended by a signal).
    static func run(_ executable: String, _ arguments: [String], stderrPath: String, timeLimit: Duration)
        async throws -> Int32
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = [executable] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArguments.append(nil)
        defer { for pointer in cArguments { free(pointer) } }
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup("LC_ALL=C.UTF-8"), nil]
        defer { for pointer in environment { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, &cArguments, &environment)
        guard spawned == 0 else { throw DocumentFileError(operation: "spawn \(executable)", errno: spawned) }
        let deadline = ContinuousClock.now + timeLimit
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0, errno != EINTR { return -1 }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return Self.timedOut
            }
            // The child holds no lock of ours; polling its end every 10 ms keeps the
            // cooperative pool free (a blocking waitpid would hold one of its threads).
            try? await Task.sleep(for: .milliseconds(10))
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : -1
    }
}
