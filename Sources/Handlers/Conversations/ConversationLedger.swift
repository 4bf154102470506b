package import FoundationEssentials
package import MetaChatAPI
internal import RPCServer
package import Storage

/// The conversation operations every producer shares: the RPC handler, and later the
/// orchestrator (user and assistant messages, escalations) and the channel workers (inbound
/// messages, delivery receipts).
///
/// Each change runs in one transaction scoped to its tenant: it locks the conversation, checks
/// the transition (``ConversationStatusMachine``), reserves event ids
/// (``ConversationEventLog``), writes its rows and its durable events, and, once committed,
/// hands the events to the ``ConversationEventSink`` (the live stream). A change that changes
/// nothing (assigning the current assignee, posting a reply again with its idempotency key)
/// writes no event.
///
/// ```swift
/// let ledger = ConversationLedger(pool: pool, events: hub)
/// let conversation = try await ledger.create(
///     tenantID: tenant, actor: "system", channelType: "WHATSAPP", channelID: channel,
///     externalUserID: "+4915112345678", title: "", metadata: [:])
/// ```
package struct ConversationLedger: Sendable {
    let pool: PostgresPool
    let sink: any ConversationEventSink

    /// Creates the ledger.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - events: Hears every event once it exists.
    package init(pool: PostgresPool, events: any ConversationEventSink = IgnoringConversationEventSink()) {
        self.pool = pool
        self.sink = events
    }

    // MARK: Conversations

    /// Creates an OPEN conversation.
    ///
    /// - Parameters:
    ///   - tenantID: The tenant.
    ///   - channelType: The stored channel type (``StoredName``), e.g. `API`.
    ///   - channelID: The channel the conversation runs on, if any.
    ///   - externalUserID: The end user's identifier.
    ///   - title: The title.
    ///   - metadata: The labels.
    /// - Returns: The conversation.
    package func create(
        tenantID: UUID, channelType: String, channelID: UUID?, externalUserID: String, title: String,
        metadata: [String: String]
    ) async throws -> Metachat_V1_Conversation {
        let metadataJSON = try StoredMetadata.json(metadata)
        let (row, events) = try await self.transaction(tenantID) { store, log in
            try await Self.insertNew(
                store: store, log: log, channelType: channelType, channelID: channelID,
                externalUserID: externalUserID, title: title, metadataJSON: metadataJSON)
        }
        await self.sink.committed(events, tenantID: tenantID)
        return row.conversation
    }

    /// The channel user's newest not-closed conversation, or a new one when there is none: found
    /// and created in one transaction under a lock on the channel and user, so two first
    /// messages of a new user at the same instant (two browser tabs of a web chat visitor) end
    /// in one conversation.
    ///
    /// - Parameter metadata: The new conversation's metadata (an existing one keeps its own).
    /// - Returns: The conversation and whether this call created it.
    package func openOrCreate(
        tenantID: UUID, channelType: String, channelID: UUID, externalUserID: String,
        metadata: [String: String] = [:]
    ) async throws -> (conversation: Metachat_V1_Conversation, created: Bool) {
        let metadataJSON = try StoredMetadata.json(metadata)
        let (row, events) = try await self.transaction(tenantID) { store, log in
            if let open = try await store.openConversation(channelID: channelID, externalUserID: externalUserID) {
                return (open, [Metachat_V1_ConversationEvent]())
            }
            return try await Self.insertNew(
                store: store, log: log, channelType: channelType, channelID: channelID,
                externalUserID: externalUserID, title: "", metadataJSON: metadataJSON)
        }
        if !events.isEmpty {
            await self.sink.committed(events, tenantID: tenantID)
        }
        return (row.conversation, !events.isEmpty)
    }

    /// The conversation with `id`.
    ///
    /// - Throws: `NOT_FOUND` when the tenant has none with this id.
    package func conversation(tenantID: UUID, id: UUID) async throws -> Metachat_V1_Conversation {
        try await self.transaction(tenantID) { store, _ in
            guard let row = try await store.find(id) else { throw Self.notFound(id) }
            return row.conversation
        }
    }

    /// A page of conversations and the tenant's latest event id, read before the page.
    func list(tenantID: UUID, filter: ConversationListFilter, after cursor: (micros: Int64, id: UUID)?, limit: Int)
        async throws -> (rows: [ConversationRow], lastEventID: Int64)
    {
        try await self.transaction(tenantID) { store, log in
            let lastEventID = try await log.lastEventID()
            return (try await store.list(filter, after: cursor, limit: limit), lastEventID)
        }
    }

    /// Changes a conversation's title, metadata or review flag (`nil`: unchanged); writes a
    /// `conversation_updated` event naming the fields whose value changed, or nothing when none
    /// did.
    package func update(
        tenantID: UUID, id: UUID, title: String?, metadata: [String: String]?, needsReview: Bool?
    ) async throws -> Metachat_V1_Conversation {
        let metadataJSON = try metadata.map(StoredMetadata.json)
        let (row, events) = try await self.transaction(tenantID) { store, log in
            guard let current = try await store.find(id, lock: .change) else { throw Self.notFound(id) }
            var changed: [String] = []
            if let title, title != current.conversation.title { changed.append("title") }
            if let metadata, metadata != current.conversation.metadata { changed.append("metadata") }
            if let needsReview, needsReview != current.conversation.needsReview { changed.append("needs_review") }
            guard !changed.isEmpty else { return (current, [Metachat_V1_ConversationEvent]()) }
            let eventID = try await log.reserve(1)
            let row = try await store.writeFields(
                id, title: title, metadataJSON: metadataJSON, needsReview: needsReview, lastEventID: eventID)
            var updated = Metachat_V1_ConversationEvent.ConversationUpdated()
            updated.conversation = row.conversation
            updated.changedFields = changed
            let events = [Self.event(eventID, row, .conversationUpdated(updated))]
            try await log.append(events)
            return (row, events)
        }
        await self.sink.committed(events, tenantID: tenantID)
        return row.conversation
    }

    /// Erases a conversation: its row, messages, events and queued deliveries, with an audit
    /// entry `conversation.deleted` naming only its id and the counts; watchers get a live
    /// `conversation_deleted` event.
    ///
    /// - Returns: How many messages and events were deleted.
    package func delete(tenantID: UUID, id: UUID, actor: String, requestID: String) async throws
        -> (messages: Int, events: Int)
    {
        let counts = try await self.transaction(tenantID) { store, _ in
            guard try await store.find(id, lock: .delete) != nil else { throw Self.notFound(id) }
            let counts = try await store.delete(id)
            try await AuditEntry(
                actor: actor, action: "conversation.deleted", target: id.lowercasedString, tenantID: tenantID,
                requestID: requestID.isEmpty ? nil : requestID,
                details: ["messages": String(counts.messages), "events": String(counts.events)]
            ).write(on: store.connection)
            return counts
        }
        await self.sink.live(
            Metachat_V1_ConversationEvent(
                id: nil, tenantID: tenantID.lowercasedString, conversationID: id.lowercasedString,
                payload: .conversationDeleted(Metachat_V1_ConversationEvent.ConversationDeleted())),
            tenantID: tenantID)
        return counts
    }

    /// The conversation an export starts with, after writing the export's audit entry
    /// (`conversation.exported`, for every caller: a transcript holds personal data).
    ///
    /// - Throws: `NOT_FOUND` when the tenant has no such conversation.
    func beginExport(tenantID: UUID, id: UUID, actor: String, requestID: String) async throws
        -> Metachat_V1_Conversation
    {
        try await self.transaction(tenantID) { store, _ in
            guard let row = try await store.find(id) else { throw Self.notFound(id) }
            try await AuditEntry(
                actor: actor, action: "conversation.exported", target: row.conversation.id, tenantID: tenantID,
                requestID: requestID.isEmpty ? nil : requestID,
                details: ["messages": String(row.conversation.messageCount)]
            ).write(on: store.connection)
            return row.conversation
        }
    }

    // MARK: Helpers

    /// Runs `body` in a transaction scoped to `tenantID`, turning PostgreSQL failures into RPC
    /// statuses.
    func transaction<Result: Sendable>(
        _ tenantID: UUID, _ body: (ConversationStore, ConversationEventLog) async throws -> Result
    ) async throws -> Result {
        do {
            return try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                try await body(
                    ConversationStore(connection: connection, tenantID: tenantID),
                    ConversationEventLog(connection: connection, tenantID: tenantID))
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    /// Inserts a conversation and its `conversation_created` event in the caller's transaction.
    private static func insertNew(
        store: ConversationStore, log: ConversationEventLog, channelType: String, channelID: UUID?,
        externalUserID: String, title: String, metadataJSON: String
    ) async throws -> (ConversationRow, [Metachat_V1_ConversationEvent]) {
        let id = try await log.reserve(1)
        let row = try await store.insert(
            channelType: channelType, channelID: channelID, externalUserID: externalUserID, title: title,
            metadataJSON: metadataJSON, lastEventID: id)
        var created = Metachat_V1_ConversationEvent.ConversationCreated()
        created.conversation = row.conversation
        let events = [Self.event(id, row, .conversationCreated(created))]
        try await log.append(events)
        return (row, events)
    }

    /// A durable event of the conversation in `row`.
    static func event(
        _ id: Int64, _ row: ConversationRow, _ payload: Metachat_V1_ConversationEvent.OneOf_Payload
    ) -> Metachat_V1_ConversationEvent {
        Metachat_V1_ConversationEvent(
            id: id, tenantID: row.conversation.tenantID, conversationID: row.conversation.id, payload: payload)
    }

    /// The answer for a conversation the tenant does not have (another tenant's answers the same).
    static func notFound(_ id: UUID) -> RPCError {
        RPCError(code: .notFound, message: "Conversation \(id.lowercasedString) was not found.")
    }
}
