package import FoundationEssentials
package import MetaChatAPI
internal import RPCServer
internal import Storage

extension ConversationLedger {
    /// What an escalation records besides the status change.
    package struct Escalation: Sendable, Hashable {
        /// Why.
        package var reason: Metachat_V1_EscalationReason
        /// The note for the agents.
        package var note: String
        /// The message that triggered it, if named (must belong to the conversation).
        package var messageID: UUID?
        /// The keyword that matched (KEYWORD).
        package var matchedKeyword: String
        /// The answer's confidence (LOW_CONFIDENCE).
        package var confidence: Double

        /// Creates an escalation.
        package init(
            reason: Metachat_V1_EscalationReason, note: String = "", messageID: UUID? = nil,
            matchedKeyword: String = "",
            confidence: Double = 0
        ) {
            self.reason = reason
            self.note = note
            self.messageID = messageID
            self.matchedKeyword = matchedKeyword
            self.confidence = confidence
        }
    }

    /// Moves a conversation's status or assignee (`ConversationService`'s transition methods, and
    /// the orchestrator's escalations).
    ///
    /// Writes `status_changed`, `escalated` (for ``ConversationTransition/escalate``, and for an
    /// assignment straight from OPEN: a manual hand-off) and `assigned` as they apply; a
    /// transition that changes nothing (assigning the current assignee) writes nothing.
    ///
    /// - Parameters:
    ///   - tenantID: The tenant.
    ///   - id: The conversation.
    ///   - transition: What to do.
    ///   - actor: Who does it, for the events' `changed_by`.
    ///   - escalation: The escalation's details (required by ``ConversationTransition/escalate``).
    ///   - claim: For ``ConversationTransition/assign(assigneeID:)`` only: refuse, under the
    ///     conversation's row lock, when another assignee holds it (a race-safe "assign to me").
    /// - Returns: The conversation afterwards.
    /// - Throws: `NOT_FOUND`, `FAILED_PRECONDITION` for a transition the status does not allow,
    ///   `INVALID_ARGUMENT` when the escalation names a message of another conversation, `ABORTED`
    ///   naming the holder (also in the `metachat-assignee` metadata) when a claim loses.
    package func transition(
        tenantID: UUID, id: UUID, _ transition: ConversationTransition, actor: String, escalation: Escalation? = nil,
        claim: Bool = false
    ) async throws -> Metachat_V1_Conversation {
        let (row, events) = try await self.transaction(tenantID) { store, log in
            guard let current = try await store.find(id, lock: .change) else { throw Self.notFound(id) }
            if claim, case .assign(let assigneeID) = transition, let holder = current.state.assigneeID,
                holder != assigneeID
            {
                var metadata = Metadata()
                metadata.addString(holder, forKey: "metachat-assignee")
                throw RPCError(
                    code: .aborted,
                    message: "Conversation \(id.lowercasedString) is already assigned to \(holder).",
                    metadata: metadata)
            }
            // Bad input is refused before the status is looked at.
            if let messageID = escalation?.messageID {
                guard let message = try await store.message(messageID),
                    message.message.conversationID == current.conversation.id
                else {
                    throw TenantFieldViolation.error("messageId", "names no message of this conversation")
                }
            }
            let outcome = try ConversationStatusMachine.apply(
                transition, to: current.state, conversationID: current.conversation.id)
            guard outcome.changed else { return (current, [Metachat_V1_ConversationEvent]()) }
            var escalation = escalation
            if case .escalate = transition, escalation == nil {
                escalation = Escalation(reason: .manual)
            }
            if case .assign = transition, current.conversation.status == .open {
                escalation = Escalation(reason: .manual)
            }
            var payloads: [Metachat_V1_ConversationEvent.OneOf_Payload] = []
            if outcome.statusChanged {
                var changed = Metachat_V1_ConversationEvent.StatusChanged()
                changed.previousStatus = current.conversation.status
                changed.status = outcome.state.status
                changed.changedBy = actor
                payloads.append(.statusChanged(changed))
            }
            if let escalation {
                var escalated = Metachat_V1_ConversationEvent.Escalated()
                escalated.reason = escalation.reason
                escalated.note = escalation.note
                escalated.messageID = escalation.messageID?.lowercasedString ?? ""
                escalated.matchedKeyword = escalation.matchedKeyword
                escalated.confidence = escalation.confidence
                escalated.changedBy = actor
                payloads.append(.escalated(escalated))
            }
            if outcome.assigneeChanged {
                var assigned = Metachat_V1_ConversationEvent.Assigned()
                assigned.previousAssigneeID = current.state.assigneeID ?? ""
                assigned.assigneeID = outcome.state.assigneeID ?? ""
                assigned.changedBy = actor
                payloads.append(.assigned(assigned))
            }
            let first = try await log.reserve(payloads.count)
            let row = try await store.write(
                id, state: outcome.state, escalation: escalation.flatMap { StoredName.escalationReason($0.reason) },
                lastEventID: first + Int64(payloads.count) - 1)
            let events = payloads.enumerated().map { Self.event(first + Int64($0.offset), row, $0.element) }
            try await log.append(events)
            return (row, events)
        }
        await self.sink.committed(events, tenantID: tenantID)
        return row.conversation
    }
}
