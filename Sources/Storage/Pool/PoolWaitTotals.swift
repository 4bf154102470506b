/// How long callers waited for a pooled connection, summed since the pool started, and how many
/// asked: the mean wait over a window is the ratio of their rates (`/metrics`).
package struct PoolWaitTotals: Sendable, Hashable {
    /// Acquisitions finished (granted, timed out or cancelled).
    package var acquisitions: Int64
    /// Their time from asking to being granted (or refused), summed, in nanoseconds; opening a
    /// new connection after the grant is not waiting and not counted.
    package var waitedNanoseconds: Int64

    /// Creates totals.
    ///
    /// - Parameters:
    ///   - acquisitions: Acquisitions finished.
    ///   - waitedNanoseconds: Their summed wait.
    package init(acquisitions: Int64, waitedNanoseconds: Int64) {
        self.acquisitions = acquisitions
        self.waitedNanoseconds = waitedNanoseconds
    }

    /// The two counters in the Prometheus text format, named `<prefix>_acquisitions_total` and
    /// `<prefix>_acquire_wait_seconds_total`.
    ///
    /// - Parameter prefix: The metric name prefix, e.g. `metachat_postgres_pool`.
    package func prometheusText(prefix: String) -> String {
        "# HELP \(prefix)_acquisitions_total Connections asked of the pool.\n"
            + "# TYPE \(prefix)_acquisitions_total counter\n\(prefix)_acquisitions_total \(self.acquisitions)\n"
            + "# HELP \(prefix)_acquire_wait_seconds_total Time callers waited for a connection, summed.\n"
            + "# TYPE \(prefix)_acquire_wait_seconds_total counter\n"
            + "\(prefix)_acquire_wait_seconds_total \(Double(self.waitedNanoseconds) / 1e9)\n"
    }
}
