/// Timing and limits of `ChatService.ChannelSession`.
package struct ChannelGatewayConfiguration: Sendable, Hashable {
    /// How often a gateway must send a heartbeat (told in the welcome); a session silent for three
    /// intervals ends with `UNAVAILABLE`, and its hold on the channel lasts three intervals past
    /// its last renewal. Default 30 s.
    package var heartbeatInterval: Duration = .seconds(30)
    /// How often the session looks for replies to push and renews its hold. Default 1 s.
    package var pollInterval: Duration = .seconds(1)
    /// Inbound messages of one session answered at once; beyond that the session reads no
    /// further envelope until one is answered. Default 8.
    package var answersInFlight = 8
    /// Replies pushed per look. Default 50.
    package var outboundBatch = 50

    /// The defaults above.
    package static let defaults = ChannelGatewayConfiguration()

    /// The defaults, to change field by field.
    package init() {}
}
