/// Timing and limits of the ``ChannelWorker``.
package struct ChannelWorkerConfiguration: Sendable, Hashable {
    /// Stored callbacks processed at once per process (each may wait for a model). Default 16.
    package var concurrency: Int
    /// How long a claimed callback stays with its worker before another may take it (a worker
    /// that died). Default 30 s.
    package var lease: Duration
    /// Attempts per stored callback or reply before it is given up. Default 8.
    package var maximumAttempts: Int
    /// Delay after a reply's first retryable failure, doubling per attempt (±20 %, at most
    /// 5 minutes). Default 1 s.
    package var initialRetryDelay: Duration
    /// How often due work is looked for without a notification. Default 1 s.
    package var pollInterval: Duration
    /// How long after the user's last message a free-form reply may be sent (Meta's customer
    /// service window). Default 24 hours.
    package var replyWindow: Duration
    /// Stored callbacks of one tenant processed at once per process, so one tenant's burst never
    /// takes every slot from the others. Default 4.
    package var concurrencyPerTenant = 4
    /// Replies sent at once per process (each holds a pooled connection while the Graph API
    /// answers); one conversation's replies still go one at a time, in order. Default 4.
    package var senders = 4

    /// The defaults above.
    package static let defaults = ChannelWorkerConfiguration(
        concurrency: 16, lease: .seconds(30), maximumAttempts: 8, initialRetryDelay: .seconds(1),
        pollInterval: .seconds(1), replyWindow: .seconds(24 * 3600))

    /// A configuration.
    package init(
        concurrency: Int, lease: Duration, maximumAttempts: Int, initialRetryDelay: Duration, pollInterval: Duration,
        replyWindow: Duration
    ) {
        self.concurrency = concurrency
        self.lease = lease
        self.maximumAttempts = maximumAttempts
        self.initialRetryDelay = initialRetryDelay
        self.pollInterval = pollInterval
        self.replyWindow = replyWindow
    }

    /// The delay before attempt `attempts + 1` after a retryable failure, with ±20 % jitter.
    func retryDelay(afterAttempts attempts: Int) -> Duration {
        let base = self.initialRetryDelay / .seconds(1)
        let doublings = min(max(attempts - 1, 0), 20)
        let seconds = min(base * Double(1 << doublings), 300)
        return .milliseconds(Int64(seconds * 1000 * Double.random(in: 0.8...1.2)))
    }
}
