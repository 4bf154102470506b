/// One message for the event bus: persistent, with its ID, type and routing key.
package struct RabbitMQMessage: Sendable, Hashable {
    /// `<tenantId>.<eventType>`.
    package var routingKey: String
    /// The AMQP `message-id`: the event ID.
    package var messageID: String
    /// The AMQP `type`: the event type.
    package var type: String
    /// The body (JSON).
    package var body: [UInt8]
    /// The AMQP `timestamp` (Unix seconds).
    package var timestamp: UInt64

    /// Creates a message.
    package init(routingKey: String, messageID: String, type: String, body: [UInt8], timestamp: UInt64) {
        self.routingKey = routingKey
        self.messageID = messageID
        self.type = type
        self.body = body
        self.timestamp = timestamp
    }
}
