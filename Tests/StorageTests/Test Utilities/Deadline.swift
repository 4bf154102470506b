import Testing

/// Bounded waiting for tests: an operation with a time limit, and polling a condition until a deadline.
enum Deadline {
    /// The operation did not finish in time.
    struct Expired: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(self.what)" }
    }

    /// Runs `operation`, throwing ``Expired`` if it takes longer than `timeout`.
    static func run<T: Sendable>(
        _ what: String,
        within timeout: Duration,
        _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw Expired(what: what)
            }
            return value
        }
    }

    /// Checks `condition` every `interval` until it holds, throwing ``Expired`` after `timeout`.
    static func poll(
        _ what: String,
        within timeout: Duration,
        every interval: Duration = .milliseconds(20),
        _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if try await condition() {
                return
            }
            try await Task.sleep(for: interval)
        }
        throw Expired(what: what)
    }
}
