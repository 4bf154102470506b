/// The bounds of the public widget endpoints for anonymous traffic (docs/widget.md). Counters
/// live in Redis (shared by every server) except the open sockets, counted per server.
package struct WidgetLimits: Sendable, Equatable {
    /// Messages per visitor. Default 20 a minute.
    package var messagesPerVisitor: RateLimitPolicy
    /// Messages per client address. Default 60 a minute.
    package var messagesPerAddress: RateLimitPolicy
    /// Handshakes and config requests per client address. Default 120 a minute.
    package var connectsPerAddress: RateLimitPolicy
    /// Open sockets per client address on one server. Default 20.
    package var socketsPerAddress: Int
    /// Time a socket has to send `hello`. Default 10 s.
    package var helloTimeout: Duration
    /// History messages sent on a `hello` without `after`: the newest ones. Default 200.
    package var historyMessages: Int

    /// The defaults above.
    package static let defaults = WidgetLimits(
        messagesPerVisitor: RateLimitPolicy(requests: 20, windowMilliseconds: 60_000),
        messagesPerAddress: RateLimitPolicy(requests: 60, windowMilliseconds: 60_000),
        connectsPerAddress: RateLimitPolicy(requests: 120, windowMilliseconds: 60_000),
        socketsPerAddress: 20, helloTimeout: .seconds(10), historyMessages: 200)

    /// Creates limits.
    package init(
        messagesPerVisitor: RateLimitPolicy, messagesPerAddress: RateLimitPolicy, connectsPerAddress: RateLimitPolicy,
        socketsPerAddress: Int, helloTimeout: Duration, historyMessages: Int
    ) {
        self.messagesPerVisitor = messagesPerVisitor
        self.messagesPerAddress = messagesPerAddress
        self.connectsPerAddress = connectsPerAddress
        self.socketsPerAddress = socketsPerAddress
        self.helloTimeout = helloTimeout
        self.historyMessages = historyMessages
    }
}
