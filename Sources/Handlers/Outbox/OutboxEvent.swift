package import FoundationEssentials
package import MetaChatAPI
internal import SwiftProtobuf

/// One event that leaves the process: POSTed to the tenant's webhooks and published to RabbitMQ.
///
/// Its ``id`` is stable: every delivery and every redelivery of it carries the same one
/// (`webhook-id`, the AMQP `message-id`), so receivers drop duplicates by it. ``body`` is the
/// exact JSON sent, `{"type", "timestamp", "data"}`.
package struct OutboxEvent: Sendable, Hashable {
    /// The event ID.
    package var id: UUID
    /// The tenant the event belongs to.
    package var tenantID: UUID
    /// What happened.
    package var type: Metachat_V1_WebhookEventType
    /// The JSON sent: `{"type": …, "timestamp": …, "data": …}`.
    package var body: String
    /// The conversation the event is about, if any (its erasure deletes the event).
    package var conversationID: UUID?

    /// An event with a new random ID.
    ///
    /// - Parameters:
    ///   - tenantID: The tenant.
    ///   - type: What happened.
    ///   - occurredAt: When.
    ///   - dataJSON: The `data` object as JSON text (it must be an object).
    ///   - conversationID: The conversation it is about, if any.
    ///   - id: The ID (default: a random one).
    package init(
        tenantID: UUID, type: Metachat_V1_WebhookEventType, occurredAt: Date, dataJSON: String,
        conversationID: UUID? = nil, id: UUID = UUID()
    ) {
        self.id = id
        self.tenantID = tenantID
        self.type = type
        self.conversationID = conversationID
        // The wire names are constant identifiers and the timestamp's JSON is a quoted RFC 3339
        // string, so the concatenation is valid JSON when `dataJSON` is.
        let timestamp = (try? Google_Protobuf_Timestamp(date: occurredAt).jsonString()) ?? "\"1970-01-01T00:00:00Z\""
        self.body = "{\"type\":\"\(type.wireName)\",\"timestamp\":\(timestamp),\"data\":\(dataJSON)}"
    }

    /// An event as stored.
    package init(id: UUID, tenantID: UUID, type: Metachat_V1_WebhookEventType, body: String, conversationID: UUID?) {
        self.id = id
        self.tenantID = tenantID
        self.type = type
        self.body = body
        self.conversationID = conversationID
    }
}
