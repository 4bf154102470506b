package import Prometheus

/// Document ingestion jobs by how they ended: `metachat_ingestion_jobs_total{outcome}`
/// (docs/metrics.md). The queue's depth is read at scrape time (``ScrapeTimeGauges``).
package struct IngestionMetrics: Sendable {
    /// How one run of a job ended.
    package enum Outcome: String, Sendable, CaseIterable {
        /// The document is READY.
        case ready
        /// Failed, and the job runs again later.
        case retry
        /// Failed for good (not retryable, or out of attempts): the document is FAILED.
        case failed
        /// Handed back unfinished (the server shut down).
        case released
    }

    private let jobs: [Outcome: Counter]

    /// Registers the counters (one per outcome, all present from the start at 0).
    ///
    /// - Parameter registry: Where they are kept.
    package init(registry: PrometheusCollectorRegistry) {
        let descriptor = MetricNameDescriptor(
            metricName: "metachat_ingestion_jobs_total", unitName: "",
            helpText: "Document ingestion job runs by outcome (ready, retry, failed, released).")
        var jobs: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            jobs[outcome] = registry.makeCounter(descriptor: descriptor, labels: [("outcome", outcome.rawValue)])
        }
        self.jobs = jobs
    }

    /// Counts one finished run of a job.
    package func finished(_ outcome: Outcome) {
        self.jobs[outcome]?.increment()
    }
}
