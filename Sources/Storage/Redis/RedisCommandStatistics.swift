internal import Synchronization

/// Counts the commands a ``RedisPool`` sends: their latency as a histogram and their failures by
/// kind, kept under one lock (held for a few additions; a command itself costs a network round
/// trip), and rendered in the Prometheus text format at scrape time (`metachat_redis_command_*`,
/// docs/metrics.md).
///
/// A command's latency runs from the caller handing it to the pool's thread to its reply, so it
/// includes the thread hop the caller waits for; waiting for a free connection is the pool's
/// own metric (``RedisPool/waitTotals``).
package final class RedisCommandStatistics: Sendable {
    /// The histogram's upper bounds in seconds; a last `+Inf` bucket follows them.
    package static let bucketBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
    ]
    /// The failure kinds counted, as their label values.
    package static let failureKinds = ["error_reply", "timeout", "connection_lost", "other"]

    private struct Counts {
        /// One count per bound (not cumulative) and one for `+Inf`.
        var buckets = [Int64](repeating: 0, count: RedisCommandStatistics.bucketBounds.count + 1)
        var sumNanoseconds: Int64 = 0
        var failures = [Int64](repeating: 0, count: RedisCommandStatistics.failureKinds.count)
    }

    private let bucketLimitsNanoseconds: [Int64]
    private let counts = Mutex(Counts())

    /// Creates empty statistics.
    package init() {
        self.bucketLimitsNanoseconds = Self.bucketBounds.map { Int64(($0 * 1e9).rounded()) }
    }

    /// Records one command.
    ///
    /// - Parameters:
    ///   - duration: From handing the command over to its reply or failure.
    ///   - failure: Why it failed; `nil` when Redis answered with anything but an error reply.
    package func record(duration: Duration, failure: RedisError.Code?) {
        // Clamped to [0, 1 h]: the clock is monotonic and commands time out long before, and the
        // sum can then never wrap.
        let (seconds, attoseconds) = duration.components
        let nanoseconds = max(0, min(seconds, 3_600) * 1_000_000_000 + attoseconds / 1_000_000_000)
        let index = self.bucketLimitsNanoseconds.firstIndex { nanoseconds <= $0 } ?? self.bucketLimitsNanoseconds.count
        let failureIndex = failure.map(Self.failureIndex)
        self.counts.withLock { counts in
            counts.buckets[index] += 1
            counts.sumNanoseconds &+= nanoseconds
            if let failureIndex {
                counts.failures[failureIndex] += 1
            }
        }
    }

    /// Commands recorded so far.
    package var commands: Int64 { self.counts.withLock { $0.buckets.reduce(0, +) } }

    /// Failures of one kind recorded so far.
    ///
    /// - Parameter kind: One of ``failureKinds``.
    package func failures(ofKind kind: String) -> Int64 {
        guard let index = Self.failureKinds.firstIndex(of: kind) else { return 0 }
        return self.counts.withLock { $0.failures[index] }
    }

    /// The histogram `<prefix>_duration_seconds` and the counter `<prefix>_errors_total` (label
    /// `kind`) in the Prometheus text format.
    ///
    /// - Parameter prefix: The metric name prefix, e.g. `metachat_redis_command`.
    package func prometheusText(prefix: String) -> String {
        let counts = self.counts.withLock { $0 }
        let histogram = "\(prefix)_duration_seconds"
        var text = "# HELP \(histogram) Redis commands from hand-over to reply.\n# TYPE \(histogram) histogram\n"
        var cumulative: Int64 = 0
        for (index, bound) in Self.bucketBounds.enumerated() {
            cumulative += counts.buckets[index]
            text += "\(histogram)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += counts.buckets[Self.bucketBounds.count]
        text += "\(histogram)_bucket{le=\"+Inf\"} \(cumulative)\n"
        text += "\(histogram)_sum \(Double(counts.sumNanoseconds) / 1e9)\n"
        text += "\(histogram)_count \(cumulative)\n"
        let errors = "\(prefix)_errors_total"
        text += "# HELP \(errors) Redis commands that failed, by kind.\n# TYPE \(errors) counter\n"
        for (index, kind) in Self.failureKinds.enumerated() {
            text += "\(errors){kind=\"\(kind)\"} \(counts.failures[index])\n"
        }
        return text
    }

    private static func failureIndex(_ code: RedisError.Code) -> Int {
        switch code {
        case .errorReply: 0
        case .timeout: 1
        case .connectionLost, .connectionFailed: 2
        default: 3
        }
    }
}
