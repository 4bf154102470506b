/// A message published on a channel.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published on.
    public var channel: String
    /// The message's bytes.
    public var payload: [UInt8]

    /// Creates a message.
    public init(channel: String, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }

    /// The payload as text, when it is valid UTF-8.
    public var string: String? { String(validating: self.payload, as: UTF8.self) }
}
