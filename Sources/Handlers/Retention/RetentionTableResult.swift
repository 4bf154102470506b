internal import MetaChatAPI

/// What a retention run did (or would do, in a dry run) to one table.
package struct RetentionTableResult: Sendable, Equatable, Codable {
    /// The table.
    package var table: String
    /// Expired rows looked at.
    package var examined: Int64 = 0
    /// Rows copied into the archive table first.
    package var archived: Int64 = 0
    /// Rows deleted.
    package var deleted: Int64 = 0

    /// A result.
    package init(table: String, examined: Int64 = 0, archived: Int64 = 0, deleted: Int64 = 0) {
        self.table = table
        self.examined = examined
        self.archived = archived
        self.deleted = deleted
    }

    /// The tables a run covers, in the order it processes them.
    static let tables = [
        "messages", "api_logs", "conversation_events", "audit_log", "webhook_deliveries", "chat_requests",
        "channel_inbound", "channel_inbound_messages",
    ]

    var message: Metachat_V1_RetentionTableResult {
        var result = Metachat_V1_RetentionTableResult()
        result.table = self.table
        result.examined = self.examined
        result.archived = self.archived
        result.deleted = self.deleted
        return result
    }
}
