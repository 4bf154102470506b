/// A message published on a channel.
package struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on.
    package var channel: String
    /// The message's bytes.
    package var payload: [UInt8]

    /// Creates a message.
    package init(channel: String, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }

    /// The payload as text, when it is valid UTF-8.
    package var string: String? { String(validating: self.payload, as: UTF8.self) }
}
