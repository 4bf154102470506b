internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A `conversations` row as the conversation store reads it, turned into the `Conversation`
/// clients see.
struct ConversationRow: Sendable {
    /// The columns every conversation query selects or returns, in SQL (unqualified: the
    /// queries read `conversations` without an alias).
    static let columns: StaticString = """
        tenant_id, id, channel_type, channel_id, external_user_id, status, assignee_id, title, metadata,
        message_count, escalated, escalation_reason, needs_review, last_message_at, last_event_id,
        created_at, updated_at, closed_at, (extract(epoch FROM updated_at) * 1000000)::int8 AS updated_micros
        """

    /// The conversation as responses show it.
    var conversation: Metachat_V1_Conversation
    /// `updated_at` in microseconds since 1970, exactly as PostgreSQL holds it (the page cursor).
    var updatedMicros: Int64
    /// The channel the conversation runs on, if any.
    var channelID: UUID?

    /// The status and assignee, for ``ConversationStatusMachine``.
    var state: ConversationStatusMachine.State {
        ConversationStatusMachine.State(
            status: self.conversation.status,
            assigneeID: self.conversation.assigneeID.isEmpty ? nil : self.conversation.assigneeID)
    }

    /// Decodes a row selected with ``columns``.
    init(_ row: PostgresRow) throws {
        var conversation = Metachat_V1_Conversation()
        conversation.tenantID = try row.decode("tenant_id", as: UUID.self).lowercasedString
        conversation.id = try row.decode("id", as: UUID.self).lowercasedString
        conversation.channelType = StoredName.channelType(try row.decode("channel_type", as: String.self))
        self.channelID = try row.decode("channel_id", as: UUID?.self)
        conversation.channelID = self.channelID?.lowercasedString ?? ""
        conversation.externalUserID = try row.decode("external_user_id", as: String.self)
        conversation.status = StoredName.status(try row.decode("status", as: String.self))
        conversation.assigneeID = try row.decode("assignee_id", as: String?.self) ?? ""
        conversation.title = try row.decode("title", as: String.self)
        conversation.metadata = try StoredMetadata.decode(try row.decode("metadata", as: String.self))
        conversation.messageCount = try row.decode("message_count", as: Int32.self)
        conversation.escalated = try row.decode("escalated", as: Bool.self)
        conversation.escalationReason = StoredName.escalationReason(
            try row.decode("escalation_reason", as: String?.self))
        conversation.needsReview = try row.decode("needs_review", as: Bool.self)
        if let last = try row.decode("last_message_at", as: Date?.self) {
            conversation.lastMessageAt = Google_Protobuf_Timestamp(date: last)
        }
        let lastEventID = try row.decode("last_event_id", as: Int64.self)
        conversation.lastEventID = lastEventID > 0 ? String(lastEventID) : ""
        conversation.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        conversation.updatedAt = Google_Protobuf_Timestamp(date: try row.decode("updated_at", as: Date.self))
        if let closed = try row.decode("closed_at", as: Date?.self) {
            conversation.closedAt = Google_Protobuf_Timestamp(date: closed)
        }
        self.conversation = conversation
        self.updatedMicros = try row.decode("updated_micros", as: Int64.self)
    }
}
