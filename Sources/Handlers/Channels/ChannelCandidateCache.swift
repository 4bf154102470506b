internal import Synchronization

/// The channels behind a callback URL, kept for a second: a burst of callbacks to one URL reads
/// the channel row (and so its sealed app secret) once instead of once per callback.
///
/// A change to a channel — disabled, deleted, a new app secret — reaches callbacks within
/// ``lifetime``. Unknown URLs are remembered too, so a flood of made-up URLs costs one read per
/// URL and second; the cache holds at most ``capacity`` URLs and starts over when full, so it
/// never grows with what clients send.
final class ChannelCandidateCache: Sendable {
    private struct Entry: Sendable {
        var rows: [ChannelRow]
        var readAt: ContinuousClock.Instant
    }

    /// How long a read is used.
    let lifetime: Duration
    /// The most URLs kept.
    let capacity: Int
    private let entries = Mutex([MetaCallbackTarget: Entry]())

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - lifetime: How long a read is used (1 s unless given).
    ///   - capacity: The most URLs kept (10,000 unless given).
    init(lifetime: Duration = .seconds(1), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// The channels behind `target`: remembered ones while fresh, else `read`'s answer, which is
    /// remembered (a failed read is not).
    ///
    /// - Parameters:
    ///   - target: The callback URL.
    ///   - now: The current time.
    ///   - read: Reads the channels from the database.
    func channels(
        for target: MetaCallbackTarget, now: ContinuousClock.Instant = .now,
        read: () async throws -> [ChannelRow]
    ) async throws -> [ChannelRow] {
        let fresh = self.entries.withLock { entries -> [ChannelRow]? in
            guard let entry = entries[target], entry.readAt.duration(to: now) < self.lifetime else { return nil }
            return entry.rows
        }
        if let fresh { return fresh }
        let rows = try await read()
        self.entries.withLock { entries in
            if entries.count >= self.capacity, entries[target] == nil {
                entries.removeAll(keepingCapacity: true)
            }
            entries[target] = Entry(rows: rows, readAt: now)
        }
        return rows
    }

    /// How many URLs are remembered, for tests.
    var count: Int { self.entries.withLock { $0.count } }
}
