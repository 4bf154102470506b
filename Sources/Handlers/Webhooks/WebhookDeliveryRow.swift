internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A `webhook_deliveries` row as the delivery methods show it.
struct WebhookDeliveryRow: Sendable {
    /// The columns every delivery query selects or returns. Constant text.
    static let columns: StaticString = """
        id, webhook_id, event_id, event_type, body, conversation_id, status, attempts, max_attempts,
        last_status_code, last_error, last_response_body, next_attempt_at, last_attempt_at, delivered_at,
        created_at, updated_at, redelivery_of, (extract(epoch FROM created_at) * 1000000)::int8 AS created_micros
        """

    /// The delivery as responses show it.
    var delivery: Metachat_V1_WebhookDelivery
    /// Its ID.
    var id: UUID
    /// The endpoint.
    var webhookID: UUID
    /// The event.
    var eventID: UUID
    /// The stored event type (wire name).
    var eventType: String
    /// The exact body.
    var body: String
    /// The conversation the event is about, if any.
    var conversationID: UUID?
    /// `created_at` in microseconds (the page cursor).
    var createdMicros: Int64

    /// Decodes a row selected with ``columns``.
    init(_ row: PostgresRow) throws {
        self.id = try row.decode("id")
        self.webhookID = try row.decode("webhook_id")
        self.eventID = try row.decode("event_id")
        self.eventType = try row.decode("event_type")
        self.body = try row.decode("body")
        self.conversationID = try row.decode("conversation_id")
        self.createdMicros = try row.decode("created_micros")
        var delivery = Metachat_V1_WebhookDelivery()
        delivery.id = self.id.lowercasedString
        delivery.webhookID = self.webhookID.lowercasedString
        delivery.eventID = self.eventID.lowercasedString
        delivery.eventType = Metachat_V1_WebhookEventType(wireName: self.eventType) ?? .unspecified
        let status: String = try row.decode("status")
        delivery.status = Self.status(status)
        delivery.attempts = try row.decode("attempts")
        delivery.maxAttempts = try row.decode("max_attempts")
        delivery.lastStatusCode = try row.decode("last_status_code")
        delivery.lastError = try row.decode("last_error")
        delivery.lastResponseBody = try row.decode("last_response_body")
        if status == "PENDING" || status == "SENDING" {
            delivery.nextAttemptAt = Google_Protobuf_Timestamp(date: try row.decode("next_attempt_at", as: Date.self))
        }
        if let last = try row.decode("last_attempt_at", as: Date?.self) {
            delivery.lastAttemptAt = Google_Protobuf_Timestamp(date: last)
        }
        if let delivered = try row.decode("delivered_at", as: Date?.self) {
            delivery.deliveredAt = Google_Protobuf_Timestamp(date: delivered)
        }
        delivery.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        delivery.updatedAt = Google_Protobuf_Timestamp(date: try row.decode("updated_at", as: Date.self))
        delivery.redeliveryOf = try row.decode("redelivery_of", as: UUID?.self)?.lowercasedString ?? ""
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        if let event = try? Metachat_V1_WebhookEvent(jsonString: self.body, options: options) {
            delivery.event = event
        }
        self.delivery = delivery
    }

    /// The API's status of a stored one (a delivery being sent is still PENDING to clients).
    static func status(_ stored: String) -> Metachat_V1_WebhookDeliveryStatus {
        switch stored {
        case "PENDING", "SENDING": .pending
        case "SUCCEEDED": .succeeded
        case "FAILED": .failed
        case "DEAD_LETTERED": .deadLettered
        default: .unspecified
        }
    }

    /// The stored statuses a filter matches.
    static func storedStatuses(_ status: Metachat_V1_WebhookDeliveryStatus) -> String? {
        switch status {
        case .pending: "{PENDING,SENDING}"
        case .succeeded: "{SUCCEEDED}"
        case .failed: "{FAILED}"
        case .deadLettered: "{DEAD_LETTERED}"
        case .unspecified, .UNRECOGNIZED: nil
        }
    }
}
