internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// The SQL of conversations and their messages, run on a connection inside a transaction scoped
/// to ``tenantID`` (row-level security shows no other tenant's rows; every statement names the
/// tenant anyway, so each one uses an index that starts with it).
struct ConversationStore {
    /// The connection, inside a tenant transaction.
    let connection: PostgresConnection
    /// The tenant.
    let tenantID: UUID

    /// How ``find(_:lock:)`` locks the row it reads.
    enum Lock {
        /// No lock.
        case none
        /// `FOR NO KEY UPDATE`: the row is changed later in the transaction (messages may still
        /// reference it meanwhile).
        case change
        /// `FOR UPDATE`: the row is deleted later in the transaction.
        case delete
    }

    // MARK: Conversations

    /// Inserts a conversation and returns it.
    func insert(
        channelType: String, channelID: UUID?, externalUserID: String, title: String, metadataJSON: String,
        lastEventID: Int64
    ) async throws -> ConversationRow {
        let rows = try await self.connection.query(
            """
            INSERT INTO conversations (tenant_id, channel_type, channel_id, external_user_id, title, metadata, last_event_id)
            VALUES (\(self.tenantID), \(channelType), \(channelID), \(externalUserID), \(title), \
            \(PostgresValue.jsonb(metadataJSON)), \(lastEventID))
            RETURNING \(unescaped: ConversationRow.columns)
            """
        )
        return try ConversationRow(rows[0])
    }

    /// The conversation with `id`, locked as asked; `nil` when the tenant has none with this id.
    func find(_ id: UUID, lock: Lock = .none) async throws -> ConversationRow? {
        let suffix: StaticString =
            switch lock {
            case .none: ""
            case .change: " FOR NO KEY UPDATE"
            case .delete: " FOR UPDATE"
            }
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: ConversationRow.columns) FROM conversations
            WHERE tenant_id = \(self.tenantID) AND id = \(id)\(unescaped: suffix)
            """
        )
        return try rows.first.map(ConversationRow.init)
    }

    /// The newest not-closed conversation of a channel's user, after waiting for every other
    /// transaction that asked the same (a transaction-scoped advisory lock on the channel and
    /// user): two requests of one new user, on any nodes, find-or-create one conversation.
    ///
    /// - Parameters:
    ///   - channelID: The channel.
    ///   - externalUserID: The user on that channel.
    func openConversation(channelID: UUID, externalUserID: String) async throws -> ConversationRow? {
        let key = "conversation-open:\(channelID.lowercasedString):\(externalUserID)"
        _ = try await self.connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))")
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: ConversationRow.columns) FROM conversations
            WHERE tenant_id = \(self.tenantID) AND channel_id = \(channelID) AND external_user_id = \(externalUserID)
              AND status <> 'CLOSED'
            ORDER BY updated_at DESC, id DESC LIMIT 1
            """
        )
        return try rows.first.map(ConversationRow.init)
    }

    /// Writes a conversation's new state after a transition or a new message and returns it.
    ///
    /// - Parameters:
    ///   - id: The conversation (locked by the caller).
    ///   - state: The status and assignee after the change.
    ///   - escalation: The escalation's reason, when the change escalates.
    ///   - messageAdded: Whether a message was added (count, last message time).
    ///   - flagForReview: Whether the conversation now needs review.
    ///   - lastEventID: The id of the change's last event.
    func write(
        _ id: UUID, state: ConversationStatusMachine.State, escalation: String? = nil, messageAdded: Bool = false,
        flagForReview: Bool = false, lastEventID: Int64
    ) async throws -> ConversationRow {
        let status = ConversationStatusMachine.name(state.status)
        let rows = try await self.connection.query(
            """
            UPDATE conversations SET
                status = \(status),
                assignee_id = \(state.assigneeID),
                escalated = escalated OR \(escalation)::text IS NOT NULL,
                escalation_reason = coalesce(\(escalation)::text, escalation_reason),
                closed_at = CASE WHEN \(status) = 'CLOSED' THEN coalesce(closed_at, now()) END,
                message_count = message_count + CASE WHEN \(messageAdded) THEN 1 ELSE 0 END,
                last_message_at = CASE WHEN \(messageAdded) THEN now() ELSE last_message_at END,
                needs_review = needs_review OR \(flagForReview),
                last_event_id = \(lastEventID),
                updated_at = now()
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: ConversationRow.columns)
            """
        )
        return try ConversationRow(rows[0])
    }

    /// Writes the fields UpdateConversation changes (`nil`: unchanged) and returns the conversation.
    func writeFields(
        _ id: UUID, title: String?, metadataJSON: String?, needsReview: Bool?, lastEventID: Int64
    ) async throws -> ConversationRow {
        let rows = try await self.connection.query(
            """
            UPDATE conversations SET
                title = coalesce(\(title), title),
                metadata = coalesce(\(metadataJSON.map(PostgresValue.jsonb)), metadata),
                needs_review = coalesce(\(needsReview), needs_review),
                last_event_id = \(lastEventID),
                updated_at = now()
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: ConversationRow.columns)
            """
        )
        return try ConversationRow(rows[0])
    }

    /// Up to `limit` conversations matching `filter`, most recently updated first, after the
    /// cursor when given.
    func list(_ filter: ConversationListFilter, after cursor: (micros: Int64, id: UUID)?, limit: Int)
        async throws -> [ConversationRow]
    {
        let rows = try await self.connection.query(filter.query(tenantID: self.tenantID, after: cursor, limit: limit))
        return try rows.map(ConversationRow.init)
    }

    /// Deletes a conversation with its messages, events and queued deliveries.
    ///
    /// - Returns: How many messages and events were deleted.
    func delete(_ id: UUID) async throws -> (messages: Int, events: Int) {
        let events = try await self.connection.execute(
            "DELETE FROM conversation_events WHERE tenant_id = \(self.tenantID) AND conversation_id = \(id)")
        _ = try await self.connection.execute(
            "DELETE FROM channel_outbox WHERE tenant_id = \(self.tenantID) AND conversation_id = \(id)")
        // Its events waiting to leave the process, and its webhook deliveries with their bodies.
        _ = try await self.connection.execute(
            "DELETE FROM outbox_events WHERE tenant_id = \(self.tenantID) AND conversation_id = \(id)")
        _ = try await self.connection.execute(
            "DELETE FROM webhook_deliveries WHERE tenant_id = \(self.tenantID) AND conversation_id = \(id)")
        let messages = try await self.connection.execute(
            "DELETE FROM messages WHERE tenant_id = \(self.tenantID) AND conversation_id = \(id)")
        try await self.connection.execute("DELETE FROM conversations WHERE tenant_id = \(self.tenantID) AND id = \(id)")
        return (messages, events)
    }

    // MARK: Messages

    /// Inserts a message and returns it.
    func insertMessage(
        conversationID: UUID, eventID: Int64, message: Metachat_V1_Message, deliveryStatus: String?
    ) async throws -> MessageRow {
        let details = try MessageRow.detailsJSON(of: message)
        let role = StoredName.role(message.role) ?? "SYSTEM"
        let rows = try await self.connection.query(
            """
            INSERT INTO messages (tenant_id, id, conversation_id, event_id, role, text, author_id, details,
                needs_review, delivery_status, external_message_id, idempotency_key)
            VALUES (\(self.tenantID), coalesce(\(UUID(canonicalText: message.id))::uuid, gen_random_uuid()), \
            \(conversationID), \(eventID), \(role), \(message.text), \(message.authorID), \
            \(PostgresValue.jsonb(details)), \(message.needsReview), \(deliveryStatus), \
            \(message.externalMessageID.isEmpty ? nil : message.externalMessageID), \
            \(message.idempotencyKey.isEmpty ? nil : message.idempotencyKey))
            RETURNING \(unescaped: MessageRow.columns)
            """
        )
        return try MessageRow(rows[0])
    }

    /// The message of a conversation posted with an idempotency key, if any.
    func message(conversationID: UUID, idempotencyKey: String) async throws -> MessageRow? {
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: MessageRow.columns) FROM messages
            WHERE tenant_id = \(self.tenantID) AND conversation_id = \(conversationID)
              AND idempotency_key = \(idempotencyKey)
            """
        )
        return try rows.first.map(MessageRow.init)
    }

    /// The message the channel provider knows by `externalMessageID`, if any.
    func message(externalMessageID: String) async throws -> MessageRow? {
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: MessageRow.columns) FROM messages
            WHERE tenant_id = \(self.tenantID) AND external_message_id = \(externalMessageID)
            LIMIT 1
            """
        )
        return try rows.first.map(MessageRow.init)
    }

    /// The message with `id`, locked for a change when asked; `nil` when the tenant has none.
    func message(_ id: UUID, forUpdate: Bool = false) async throws -> MessageRow? {
        let suffix: StaticString = forUpdate ? " FOR UPDATE" : ""
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: MessageRow.columns) FROM messages
            WHERE tenant_id = \(self.tenantID) AND id = \(id)\(unescaped: suffix)
            """
        )
        return try rows.first.map(MessageRow.init)
    }

    /// Up to `limit` messages of a conversation by position: after `position` oldest first, or
    /// before it newest first (`nil`: from the start or the end).
    func messages(conversationID: UUID, after position: Int64?, newestFirst: Bool, limit: Int) async throws
        -> [MessageRow]
    {
        let query = Self.messagesQuery(
            tenantID: self.tenantID, conversationID: conversationID, after: position, newestFirst: newestFirst,
            limit: limit)
        return try await self.connection.query(query).map(MessageRow.init)
    }

    /// The statement of ``messages(conversationID:after:newestFirst:limit:)``, for plan tests.
    static func messagesQuery(
        tenantID: UUID, conversationID: UUID, after position: Int64?, newestFirst: Bool, limit: Int
    ) -> PostgresQuery {
        newestFirst
            ? """
            SELECT \(unescaped: MessageRow.columns) FROM messages
            WHERE tenant_id = \(tenantID) AND conversation_id = \(conversationID)
              AND event_id < \(position ?? Int64.max)
            ORDER BY event_id DESC LIMIT \(limit)
            """
            : """
            SELECT \(unescaped: MessageRow.columns) FROM messages
            WHERE tenant_id = \(tenantID) AND conversation_id = \(conversationID)
              AND event_id > \(position ?? 0)
            ORDER BY event_id LIMIT \(limit)
            """
    }

    /// Writes a message's delivery state as the channel reported it and returns the message.
    func writeDelivery(_ id: UUID, status: String, error: String?, externalMessageID: String?) async throws
        -> MessageRow
    {
        let rows = try await self.connection.query(
            """
            UPDATE messages SET delivery_status = \(status), delivery_error = \(error),
                external_message_id = coalesce(\(externalMessageID), external_message_id)
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: MessageRow.columns)
            """
        )
        return try MessageRow(rows[0])
    }

    /// Records the id of a conversation's latest event (after an event that changed no column).
    func touch(_ id: UUID, lastEventID: Int64) async throws {
        try await self.connection.execute(
            """
            UPDATE conversations SET last_event_id = \(lastEventID)
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            """
        )
    }

    /// Queues an outbound message for the channel its conversation runs on.
    func queue(messageID: UUID, conversationID: UUID, channelID: UUID) async throws {
        try await self.connection.execute(
            """
            INSERT INTO channel_outbox (tenant_id, channel_id, conversation_id, message_id)
            VALUES (\(self.tenantID), \(channelID), \(conversationID), \(messageID))
            """
        )
    }
}
