package import Prometheus

/// Webhook delivery attempts by outcome: `metachat_webhook_deliveries_total{outcome}`.
///
/// No tenant or endpoint label: the set of series stays four however many tenants there are
/// (docs/metrics.md); a failing endpoint is found through the API's delivery log.
package struct WebhookMetrics: Sendable {
    /// What one attempt came to.
    package enum Outcome: String, Sendable, CaseIterable {
        /// The receiver answered 2xx.
        case success
        /// Failed for good: a final answer, or the last attempt of a retryable one.
        case failure
        /// Failed, and the delivery is tried again later.
        case retry
        /// The endpoint is disabled (it answered 410 Gone, or was disabled while queued).
        case disabled
    }

    private let deliveries: [Outcome: Counter]

    /// Registers the counters (one per outcome, all present from the start at 0).
    ///
    /// - Parameter registry: Where they are kept.
    package init(registry: PrometheusCollectorRegistry) {
        let descriptor = MetricNameDescriptor(
            metricName: "metachat_webhook_deliveries_total", unitName: "",
            helpText: "Webhook delivery attempts by outcome (success, failure, retry, disabled).")
        var deliveries: [Outcome: Counter] = [:]
        for outcome in Outcome.allCases {
            deliveries[outcome] = registry.makeCounter(descriptor: descriptor, labels: [("outcome", outcome.rawValue)])
        }
        self.deliveries = deliveries
    }

    /// Counts one attempt.
    package func attempted(_ outcome: Outcome) {
        self.deliveries[outcome]?.increment()
    }
}
