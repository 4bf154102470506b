package import Prometheus

/// Conversations handed to a human, by reason: `metachat_escalations_total{reason}`
/// (docs/metrics.md), counted as the escalation events commit, whatever raised them (a keyword,
/// low confidence, an operator, a channel).
package struct EscalationMetrics: Sendable {
    /// The reason label values (the API's reasons, lower-case); anything else is `other`.
    package static let reasons = ["keyword", "low_confidence", "no_context", "manual", "requested_by_user", "other"]

    private let escalations: [String: Counter]

    /// Registers the counters (one per reason, all present from the start at 0).
    ///
    /// - Parameter registry: Where they are kept.
    package init(registry: PrometheusCollectorRegistry) {
        let descriptor = MetricNameDescriptor(
            metricName: "metachat_escalations_total", unitName: "",
            helpText: "Conversations escalated to a human, by reason.")
        var escalations: [String: Counter] = [:]
        for reason in Self.reasons {
            escalations[reason] = registry.makeCounter(descriptor: descriptor, labels: [("reason", reason)])
        }
        self.escalations = escalations
    }

    /// Counts one escalation.
    ///
    /// - Parameter reason: One of ``reasons``; anything else counts as `other`.
    package func escalated(reason: String) {
        (self.escalations[reason] ?? self.escalations["other"])?.increment()
    }
}
