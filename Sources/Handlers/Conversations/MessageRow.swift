internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A `messages` row as the conversation store reads it, turned into the `Message` clients see.
///
/// The columns hold what is queried or changed after the message is stored (role, text, review
/// flag, delivery state, ids); everything else a message carries lives in `details` as the
/// protobuf JSON of a `Message` holding only those fields (``detailsJSON(of:)``), so new fields of
/// the contract need no migration.
struct MessageRow: Sendable {
    /// The columns every message query selects or returns, in SQL (unqualified).
    static let columns: StaticString = """
        tenant_id, id, conversation_id, event_id, role, text, author_id, details, needs_review,
        delivery_status, delivery_error, external_message_id, idempotency_key, created_at
        """

    /// The message as responses show it.
    var message: Metachat_V1_Message
    /// Its ID.
    var id: UUID
    /// Its position (the id of its `message_created` event).
    var eventID: Int64

    /// Decodes a row selected with ``columns``.
    init(_ row: PostgresRow) throws {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        let details = try row.decode("details", as: String.self)
        // Plain text messages store no details: no parser for the empty object.
        var message =
            details == "{}" ? Metachat_V1_Message() : try Metachat_V1_Message(jsonString: details, options: options)
        message.tenantID = try row.decode("tenant_id", as: UUID.self).lowercasedString
        self.id = try row.decode("id", as: UUID.self)
        message.id = self.id.lowercasedString
        message.conversationID = try row.decode("conversation_id", as: UUID.self).lowercasedString
        self.eventID = try row.decode("event_id", as: Int64.self)
        message.eventID = String(self.eventID)
        message.role = StoredName.role(try row.decode("role", as: String.self))
        message.text = try row.decode("text", as: String.self)
        message.authorID = try row.decode("author_id", as: String.self)
        message.needsReview = try row.decode("needs_review", as: Bool.self)
        message.deliveryStatus = StoredName.delivery(try row.decode("delivery_status", as: String?.self))
        message.deliveryError = try row.decode("delivery_error", as: String?.self) ?? ""
        message.externalMessageID = try row.decode("external_message_id", as: String?.self) ?? ""
        message.idempotencyKey = try row.decode("idempotency_key", as: String?.self) ?? ""
        message.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        self.message = message
    }

    /// The JSON stored in `details`: `message` without the fields that have columns of their own.
    static func detailsJSON(of message: Metachat_V1_Message) throws -> String {
        var details = Metachat_V1_Message()
        details.attachments = message.attachments
        if message.hasLocation {
            details.location = message.location
        }
        details.citations = message.citations
        details.confidence = message.confidence
        details.model = message.model
        if message.hasUsage {
            details.usage = message.usage
        }
        if message.hasLatency {
            details.latency = message.latency
        }
        details.escalationAction = message.escalationAction
        details.metadata = message.metadata
        return try details.jsonString()
    }
}
