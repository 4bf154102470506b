package import FoundationEssentials
package import MetaChatAPI
internal import RPCServer
internal import Storage

extension ConversationLedger {
    /// A page of a conversation's messages and the tenant's latest event id, read before the page.
    ///
    /// - Throws: `NOT_FOUND` when the tenant has no such conversation.
    func messages(
        tenantID: UUID, conversationID: UUID, after position: Int64?, newestFirst: Bool, limit: Int
    ) async throws -> (rows: [MessageRow], lastEventID: Int64) {
        try await self.transaction(tenantID) { store, log in
            let lastEventID = try await log.lastEventID()
            guard try await store.find(conversationID) != nil else { throw Self.notFound(conversationID) }
            let rows = try await store.messages(
                conversationID: conversationID, after: position, newestFirst: newestFirst, limit: limit)
            return (rows, lastEventID)
        }
    }

    /// Stores a message in a conversation, with the status change its role implies:
    ///
    /// - AGENT: OPEN or AWAITING_HUMAN become ASSIGNED_TO_HUMAN with the author as assignee; RESOLVED
    ///   and CLOSED are refused (reopen first).
    /// - USER: RESOLVED becomes OPEN; CLOSED is refused.
    /// - ASSISTANT and SYSTEM: no change; an answer flagged `needs_review` flags the conversation
    ///   (`conversation_updated`).
    ///
    /// A message that leaves the server (AGENT, ASSISTANT, SYSTEM) in a conversation with a
    /// WhatsApp or Messenger channel is queued for that channel in the same transaction
    /// (`delivery_status` QUEUED); a web chat's reaches the widget over the live stream. With an
    /// `idempotency_key` the conversation keeps one message per key: a repeat with the same
    /// content answers the stored message (and writes nothing), other content is
    /// `ALREADY_EXISTS`. A USER message whose `external_message_id` is already stored in the
    /// conversation (a channel redelivering it) answers the stored one as well.
    ///
    /// - Parameters:
    ///   - tenantID: The tenant.
    ///   - conversationID: The conversation.
    ///   - message: The message: role, text, author and what else it carries; times and
    ///     delivery state are the server's, and so is the id unless `message.id` holds one (the
    ///     orchestrator names an answer's id before it streams it).
    ///   - actor: Who posts it, for the events' `changed_by`.
    /// - Returns: The stored message and whether this call stored it.
    package func record(
        tenantID: UUID, conversationID: UUID, _ message: Metachat_V1_Message, actor: String
    ) async throws -> (message: Metachat_V1_Message, created: Bool) {
        try await self.record(tenantID: tenantID, conversationID: conversationID, message, actor: actor, alongside: nil)
    }

    /// ``record(tenantID:conversationID:_:actor:)``, with more writes in the same transaction
    /// when the message is new (the orchestrator's usage row: an answer and what it cost commit
    /// together or not at all).
    func record(
        tenantID: UUID, conversationID: UUID, _ message: Metachat_V1_Message, actor: String,
        alongside: (@Sendable (PostgresConnection) async throws -> Void)?
    ) async throws -> (message: Metachat_V1_Message, created: Bool) {
        let transition: ConversationTransition? =
            switch message.role {
            case .agent: .agentReply(agentID: message.authorID)
            case .user: .userMessage
            default: nil
            }
        let (stored, created, events) = try await self.transaction(tenantID) { store, log in
            guard let current = try await store.find(conversationID, lock: .change) else {
                throw Self.notFound(conversationID)
            }
            if let earlier = try await Self.earlier(message, in: conversationID, store: store) {
                return (earlier, false, [Metachat_V1_ConversationEvent]())
            }
            let outcome = try transition.map {
                try ConversationStatusMachine.apply($0, to: current.state, conversationID: current.conversation.id)
            }
            let state = outcome?.state ?? current.state
            let flagsReview = message.needsReview && !current.conversation.needsReview
            var payloads: [Metachat_V1_ConversationEvent.OneOf_Payload] = []
            if let outcome, outcome.statusChanged {
                var changed = Metachat_V1_ConversationEvent.StatusChanged()
                changed.previousStatus = current.conversation.status
                changed.status = outcome.state.status
                changed.changedBy = actor
                payloads.append(.statusChanged(changed))
            }
            if let outcome, outcome.assigneeChanged {
                var assigned = Metachat_V1_ConversationEvent.Assigned()
                assigned.previousAssigneeID = current.state.assigneeID ?? ""
                assigned.assigneeID = outcome.state.assigneeID ?? ""
                assigned.changedBy = actor
                payloads.append(.assigned(assigned))
            }
            let count = payloads.count + 1 + (flagsReview ? 1 : 0)
            let first = try await log.reserve(count)
            let messageEventID = first + Int64(payloads.count)
            // Web chat answers reach the widget over its socket (the live stream), not an outbox.
            let outbound =
                message.role != .user && current.channelID != nil && current.conversation.channelType != .webChat
            let row = try await store.insertMessage(
                conversationID: conversationID, eventID: messageEventID, message: message,
                deliveryStatus: outbound ? "QUEUED" : nil)
            if outbound, let channelID = current.channelID {
                try await store.queue(messageID: row.id, conversationID: conversationID, channelID: channelID)
            }
            var created = Metachat_V1_ConversationEvent.MessageCreated()
            created.message = row.message
            payloads.append(.messageCreated(created))
            let conversation = try await store.write(
                conversationID, state: state, messageAdded: true, flagForReview: flagsReview,
                lastEventID: first + Int64(count) - 1)
            if flagsReview {
                var updated = Metachat_V1_ConversationEvent.ConversationUpdated()
                updated.conversation = conversation.conversation
                updated.changedFields = ["needs_review"]
                payloads.append(.conversationUpdated(updated))
            }
            let events = payloads.enumerated().map { Self.event(first + Int64($0.offset), conversation, $0.element) }
            try await log.append(events)
            try await alongside?(store.connection)
            return (row.message, true, events)
        }
        await self.sink.committed(events, tenantID: tenantID)
        return (stored, created)
    }

    /// Records what a channel reported about an outbound message (`message_delivery_updated`).
    ///
    /// - Parameters:
    ///   - tenantID: The tenant.
    ///   - messageID: The message.
    ///   - status: Its new delivery state (not UNSPECIFIED).
    ///   - error: The provider's error, for FAILED.
    ///   - externalMessageID: The provider's id of the message, once known.
    ///   - forwardOnly: Whether a status that is not past the stored one (SENT, DELIVERED, READ in
    ///     that order; FAILED is past all) is ignored: receipts arrive in any order.
    /// - Returns: The message afterwards.
    /// - Throws: `NOT_FOUND` when the tenant has no such message.
    package func updateDelivery(
        tenantID: UUID, messageID: UUID, status: Metachat_V1_MessageDeliveryStatus, error: String = "",
        externalMessageID: String = "", forwardOnly: Bool = false
    ) async throws -> Metachat_V1_Message {
        guard let statusName = StoredName.delivery(status) else {
            throw TenantFieldViolation.error("status", "must be a delivery status")
        }
        let (message, events) = try await self.transaction(tenantID) { store, log in
            // The conversation is locked before the counter, as every change does.
            guard let found = try await store.message(messageID),
                let conversationID = UUID(canonicalText: found.message.conversationID),
                let conversation = try await store.find(conversationID, lock: .change)
            else {
                throw RPCError(code: .notFound, message: "Message \(messageID.lowercasedString) was not found.")
            }
            if forwardOnly, let current = try await store.message(messageID)?.message,
                Self.deliveryRank(status) <= Self.deliveryRank(current.deliveryStatus), status != .failed
            {
                // Read under the conversation's lock: the receipt that got here first is not undone.
                return (current, [Metachat_V1_ConversationEvent]())
            }
            let eventID = try await log.reserve(1)
            let row = try await store.writeDelivery(
                messageID, status: statusName, error: error.isEmpty ? nil : error,
                externalMessageID: externalMessageID.isEmpty ? nil : externalMessageID)
            try await store.touch(conversationID, lastEventID: eventID)
            var updated = Metachat_V1_ConversationEvent.MessageDeliveryUpdated()
            updated.messageID = row.message.id
            updated.status = status
            updated.errorMessage = error
            updated.externalMessageID = row.message.externalMessageID
            let events = [Self.event(eventID, conversation, .messageDeliveryUpdated(updated))]
            try await log.append(events)
            return (row.message, events)
        }
        await self.sink.committed(events, tenantID: tenantID)
        return message
    }

    /// The order of delivery states for ``updateDelivery(tenantID:messageID:status:error:externalMessageID:forwardOnly:)``.
    private static func deliveryRank(_ status: Metachat_V1_MessageDeliveryStatus) -> Int {
        switch status {
        case .sent: 1
        case .delivered: 2
        case .read: 3
        case .failed: 4
        default: 0
        }
    }

    /// The stored message `message` repeats, if any: the same idempotency key with the same
    /// content, or a USER message's external id.
    ///
    /// - Throws: `ALREADY_EXISTS` when the key was used for other content.
    private static func earlier(
        _ message: Metachat_V1_Message, in conversationID: UUID, store: ConversationStore
    ) async throws -> Metachat_V1_Message? {
        if !message.idempotencyKey.isEmpty,
            let stored = try await store.message(conversationID: conversationID, idempotencyKey: message.idempotencyKey)
        {
            let same =
                stored.message.role == message.role && stored.message.text == message.text
                && stored.message.authorID == message.authorID && stored.message.attachments == message.attachments
                && stored.message.metadata == message.metadata
            guard same else {
                throw RPCError(
                    code: .alreadyExists,
                    message: "idempotencyKey was already used for a different message in this conversation.")
            }
            return stored.message
        }
        if message.role == .user, !message.externalMessageID.isEmpty,
            let stored = try await store.message(externalMessageID: message.externalMessageID),
            stored.message.conversationID == conversationID.lowercasedString
        {
            return stored.message
        }
        return nil
    }
}
