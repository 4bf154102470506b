/// Time limits and retries of one model call (docs/orchestrator.md, "Providers").
package struct ModelCallPolicy: Sendable, Hashable {
    /// Until the provider's response head arrives (connecting, TLS, the request, the
    /// provider's queue). Default 10 s.
    package var connectTimeout: Duration
    /// Until the first piece of text. Default 30 s.
    package var firstTokenTimeout: Duration
    /// Longest silence (no bytes at all) once the response started. Default 20 s.
    package var idleTimeout: Duration
    /// The whole call, retries included. Default 60 s (a tenant's `request_timeout`).
    package var totalTimeout: Duration
    /// Attempts before the first piece of text, the first included. Default 3.
    package var attempts: Int
    /// Delay before the first retry, doubled each time, times a random 0.5...1.5. Default 0.5 s.
    package var initialBackoff: Duration
    /// Longest `retry-after` honoured; a longer one fails the call instead. Default 20 s.
    package var maximumRetryAfter: Duration

    /// The defaults above.
    package static let defaults = ModelCallPolicy(
        connectTimeout: .seconds(10), firstTokenTimeout: .seconds(30), idleTimeout: .seconds(20),
        totalTimeout: .seconds(60), attempts: 3, initialBackoff: .milliseconds(500), maximumRetryAfter: .seconds(20))

    /// Creates a policy.
    package init(
        connectTimeout: Duration, firstTokenTimeout: Duration, idleTimeout: Duration, totalTimeout: Duration,
        attempts: Int, initialBackoff: Duration, maximumRetryAfter: Duration
    ) {
        self.connectTimeout = connectTimeout
        self.firstTokenTimeout = firstTokenTimeout
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
        self.attempts = attempts
        self.initialBackoff = initialBackoff
        self.maximumRetryAfter = maximumRetryAfter
    }
}
