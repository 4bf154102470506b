package import Prometheus

/// Work waiting in PostgreSQL, read with one query at each scrape (docs/metrics.md): the
/// outbox's unhandled events and the age of the oldest, webhook deliveries waiting to be sent,
/// and document ingestion jobs waiting or running.
package struct BacklogMetrics: Sendable {
    /// One reading.
    package struct Reading: Sendable, Hashable {
        /// Outbox events the webhook fan-out has not handled yet.
        package var outboxEvents: Int64
        /// The age of the oldest of them, in seconds; 0 when there is none.
        package var outboxOldestAgeSeconds: Double
        /// Webhook deliveries waiting for an attempt (PENDING).
        package var webhookDeliveriesPending: Int64
        /// Ingestion jobs waiting or running.
        package var ingestionJobsQueued: Int64

        /// Creates a reading.
        package init(
            outboxEvents: Int64, outboxOldestAgeSeconds: Double, webhookDeliveriesPending: Int64,
            ingestionJobsQueued: Int64
        ) {
            self.outboxEvents = outboxEvents
            self.outboxOldestAgeSeconds = outboxOldestAgeSeconds
            self.webhookDeliveriesPending = webhookDeliveriesPending
            self.ingestionJobsQueued = ingestionJobsQueued
        }
    }

    private let outboxEvents: Gauge
    private let outboxOldestAge: Gauge
    private let webhookDeliveriesPending: Gauge
    private let ingestionJobsQueued: Gauge
    private let readSucceeded: Gauge

    /// Registers the gauges.
    ///
    /// - Parameter registry: Where they are kept.
    package init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help))
        }
        self.outboxEvents = gauge(
            "metachat_outbox_events", "Outbox events the webhook fan-out has not handled yet (read at scrape).")
        self.outboxOldestAge = gauge(
            "metachat_outbox_oldest_age_seconds", "Age of the oldest outbox event not handled yet; 0 when none.")
        self.webhookDeliveriesPending = gauge(
            "metachat_webhook_deliveries_pending", "Webhook deliveries waiting for an attempt (read at scrape).")
        self.ingestionJobsQueued = gauge(
            "metachat_ingestion_jobs_queued", "Document ingestion jobs waiting or running (read at scrape).")
        self.readSucceeded = gauge(
            "metachat_backlog_read_success", "1 when the scrape's backlog query succeeded; 0 when PostgreSQL failed it."
        )
    }

    /// Sets the gauges from a reading, or marks the reading failed (the gauges keep their last
    /// values).
    package func update(_ reading: Reading?) {
        guard let reading else {
            self.readSucceeded.set(to: 0.0)
            return
        }
        self.outboxEvents.set(to: Double(reading.outboxEvents))
        self.outboxOldestAge.set(to: reading.outboxOldestAgeSeconds)
        self.webhookDeliveriesPending.set(to: Double(reading.webhookDeliveriesPending))
        self.ingestionJobsQueued.set(to: Double(reading.ingestionJobsQueued))
        self.readSucceeded.set(to: 1.0)
    }
}
