package import Prometheus

/// The platform's own metrics beside the transport's, on one registry: what `serve` hands to
/// the parts that produce them (docs/metrics.md). Each part defaults to a registry of its own
/// that nothing renders, so tests and tools that do not care need not pass one.
package struct PlatformMetrics: Sendable {
    /// Webhook delivery attempts.
    package var webhooks: WebhookMetrics
    /// Model calls and retrieval.
    package var chat: ChatMetrics
    /// Document ingestion jobs.
    package var ingestion: IngestionMetrics
    /// Escalations to a human.
    package var escalations: EscalationMetrics
    /// Retention runs.
    package var retention: RetentionMetrics

    /// Registers every platform metric.
    ///
    /// - Parameter registry: Where they are kept and rendered from.
    package init(registry: PrometheusCollectorRegistry) {
        self.webhooks = WebhookMetrics(registry: registry)
        self.chat = ChatMetrics(registry: registry)
        self.ingestion = IngestionMetrics(registry: registry)
        self.escalations = EscalationMetrics(registry: registry)
        self.retention = RetentionMetrics(registry: registry)
    }

    /// Metrics kept on a registry of their own that nothing renders.
    package static func unobserved() -> PlatformMetrics {
        PlatformMetrics(registry: PrometheusCollectorRegistry())
    }
}
