extension RedisSubscriber {
    /// Where Redis is and how the subscriber behaves, with the defaults ``init(url:)`` documents.
    package struct Configuration: Sendable, Hashable {
        /// Where Redis listens.
        package var url: RedisURL
        /// How long opening the connection may take.
        package var connectTimeout: Duration
        /// How long ``RedisSubscriber/subscribe(to:)`` waits for Redis to confirm (including
        /// while reconnecting) before failing with ``RedisError/Code/timeout``.
        package var subscribeTimeout: Duration
        /// The wait before the first reconnect attempt; it doubles after each failure.
        package var initialReconnectDelay: Duration
        /// The longest wait between reconnect attempts.
        package var maximumReconnectDelay: Duration
        /// Messages each subscription holds for a slow reader; beyond that the oldest are dropped.
        package var bufferedMessagesPerSubscription: Int

        /// Creates a configuration: 2 s connect timeout, 5 s subscribe timeout, reconnect delay
        /// from 50 ms doubling up to 2 s, 1024 buffered messages per subscription.
        ///
        /// - Parameter url: Where Redis listens.
        package init(url: RedisURL) {
            self.url = url
            self.connectTimeout = .seconds(2)
            self.subscribeTimeout = .seconds(5)
            self.initialReconnectDelay = .milliseconds(50)
            self.maximumReconnectDelay = .seconds(2)
            self.bufferedMessagesPerSubscription = 1024
        }
    }
}
