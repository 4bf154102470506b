/// Waiting for a condition in tests without sleeping as synchronisation.
enum Polling {
    /// The condition did not hold in time.
    struct Expired: Error, CustomStringConvertible {
        var what: String
        var description: String { "timed out waiting for \(self.what)" }
    }

    /// Checks `condition` every `interval` until it holds, throwing ``Expired`` after `timeout`.
    ///
    /// - Returns: How long it took.
    @discardableResult
    static func until(
        _ what: String,
        within timeout: Duration,
        every interval: Duration = .milliseconds(10),
        _ condition: () async throws -> Bool
    ) async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        while clock.now < start + timeout {
            if try await condition() {
                return start.duration(to: clock.now)
            }
            try await Task.sleep(for: interval)
        }
        throw Expired(what: what)
    }
}
