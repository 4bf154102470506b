internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
internal import SwiftProtobuf

extension ConversationHandler {
    package func escalateConversation(
        request: Metachat_V1_EscalateConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        guard StoredName.escalationReason(request.reason) != nil else {
            throw TenantFieldViolation.error(
                "reason", "is required: KEYWORD, LOW_CONFIDENCE, NO_CONTEXT, MANUAL or REQUESTED_BY_USER")
        }
        try TenantTextRules.check(request.note, field: "note", maximum: 1000, singleLine: false)
        let actor = try ConversationFieldRules.actor(request.actorID) ?? access.actor
        let messageID =
            request.messageID.isEmpty ? nil : try ConversationFieldRules.uuid(request.messageID, field: "messageId")
        try TenantTextRules.check(request.matchedKeyword, field: "matchedKeyword", maximum: 100)
        guard request.confidence.isFinite, (0...1).contains(request.confidence) else {
            throw TenantFieldViolation.error("confidence", "must be between 0 and 1")
        }
        let escalation = ConversationLedger.Escalation(
            reason: request.reason, note: request.note, messageID: messageID, matchedKeyword: request.matchedKeyword,
            confidence: request.confidence)
        return try await self.ledger.transition(
            tenantID: access.tenantID, id: id, .escalate, actor: actor, escalation: escalation)
    }

    package func assignConversation(
        request: Metachat_V1_AssignConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        let assigneeID = try ConversationFieldRules.identifier(request.assigneeID, field: "assigneeId")
        let actor = try ConversationFieldRules.actor(request.actorID) ?? access.actor
        return try await self.ledger.transition(
            tenantID: access.tenantID, id: id, .assign(assigneeID: assigneeID), actor: actor)
    }

    package func unassignConversation(
        request: Metachat_V1_UnassignConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try await self.simpleTransition(.unassign, request.conversationID, request.actorID, request, context)
    }

    package func handBackConversation(
        request: Metachat_V1_HandBackConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try await self.simpleTransition(.handBack, request.conversationID, request.actorID, request, context)
    }

    package func resolveConversation(
        request: Metachat_V1_ResolveConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try await self.simpleTransition(.resolve, request.conversationID, request.actorID, request, context)
    }

    package func reopenConversation(
        request: Metachat_V1_ReopenConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try await self.simpleTransition(.reopen, request.conversationID, request.actorID, request, context)
    }

    package func closeConversation(
        request: Metachat_V1_CloseConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try await self.simpleTransition(.close, request.conversationID, request.actorID, request, context)
    }

    /// A transition whose request holds only the conversation and the actor.
    private func simpleTransition(
        _ transition: ConversationTransition, _ conversationID: String, _ actorID: String,
        _ request: some SwiftProtobuf.Message, _ context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: conversationID)
        let id = try ConversationFieldRules.uuid(conversationID, field: "conversationId")
        let actor = try ConversationFieldRules.actor(actorID) ?? access.actor
        return try await self.ledger.transition(tenantID: access.tenantID, id: id, transition, actor: actor)
    }
}
