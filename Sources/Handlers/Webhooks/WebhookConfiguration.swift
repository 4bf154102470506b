/// How webhooks are delivered.
package struct WebhookConfiguration: Sendable {
    /// Retries (`WEBHOOK_RETRY_MAX_ATTEMPTS`, `WEBHOOK_RETRY_INITIAL_DELAY_MS`). Default
    /// ``WebhookRetryPolicy/defaults``.
    package var retry: WebhookRetryPolicy = .defaults
    /// One attempt's limit, connect to last byte. Default 10 s.
    package var attemptTimeout: Duration = .seconds(10)
    /// Attempts at once per process. Default 64.
    package var concurrency = 64
    /// Attempts at once per process to one endpoint, so one slow endpoint holds at most this many
    /// of ``concurrency``. Default 8.
    package var concurrencyPerEndpoint = 8
    /// Events in a row whose delivery ended without success before the endpoint is disabled.
    /// Default 20.
    package var disableAfterFailures = 20
    /// Events fanned out per transaction. Default 500.
    package var fanOutBatch = 500
    /// Longest wait between looks at the outbox (a lost notification, a retry coming due).
    /// Default 2 s.
    package var pollInterval: Duration = .seconds(2)

    /// The defaults above.
    package static let defaults = WebhookConfiguration()

    /// How long a claimed delivery belongs to its relay before another may take it: three times
    /// the attempt's limit (a claim may wait behind two others of its endpoint) and 20 s more.
    var lease: Duration { self.attemptTimeout * 3 + .seconds(20) }
}
