package import Prometheus

/// Retention runs by outcome and the rows they deleted per table (docs/metrics.md):
/// `metachat_retention_runs_total{outcome}`, `metachat_retention_deleted_rows_total{table}`.
package struct RetentionMetrics: Sendable {
    private let succeeded: Counter
    private let failed: Counter
    private static var deletedRows: MetricNameDescriptor {
        MetricNameDescriptor(
            metricName: "metachat_retention_deleted_rows_total", unitName: "",
            helpText: "Rows retention deleted, by table (dry runs delete nothing).")
    }
    private let registry: PrometheusCollectorRegistry

    /// Registers the counters.
    ///
    /// - Parameter registry: Where they are kept.
    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        let runs = MetricNameDescriptor(
            metricName: "metachat_retention_runs_total", unitName: "",
            helpText: "Finished retention runs by outcome (succeeded, failed).")
        self.succeeded = registry.makeCounter(descriptor: runs, labels: [("outcome", "succeeded")])
        self.failed = registry.makeCounter(descriptor: runs, labels: [("outcome", "failed")])
    }

    /// Counts a finished run.
    ///
    /// - Parameters:
    ///   - succeeded: Whether it finished without error.
    ///   - deleted: Rows deleted per table (the runner's fixed table names).
    package func finished(succeeded: Bool, deleted: [(table: String, rows: Int64)]) {
        (succeeded ? self.succeeded : self.failed).increment()
        for (table, rows) in deleted where rows > 0 {
            self.registry.makeCounter(descriptor: Self.deletedRows, labels: [("table", table)]).increment(by: rows)
        }
    }
}
