internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage

/// Answers `metachat.v1.ChatService`: SendMessage, StreamReply and the original platform's
/// `POST /api/chat` (Chat), all through one ``ChatOrchestrator``.
///
/// Every method checks the request's text and fields, resolves the tenant it acts on
/// (``TenantAccessResolver``), then hands the message to the orchestrator. ChannelSession runs a
/// channel gateway's session (``ChannelGatewaySession``).
///
/// ```swift
/// ChatHandler(pool: postgres, orchestrator: orchestrator).registerMethods(with: &router)
/// ```
package struct ChatHandler: Metachat_V1_ChatService.Handler {
    let orchestrator: ChatOrchestrator
    let access: TenantAccessResolver
    let gateway: ChannelGatewaySession

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated (tenants and grants).
    ///   - orchestrator: Answers the messages.
    ///   - gateway: Timing and limits of channel gateway sessions.
    package init(
        pool: PostgresPool, orchestrator: ChatOrchestrator, gateway: ChannelGatewayConfiguration = .defaults
    ) {
        self.orchestrator = orchestrator
        self.access = TenantAccessResolver(pool: pool)
        self.gateway = ChannelGatewaySession(pool: pool, orchestrator: orchestrator, configuration: gateway)
    }

    package func sendMessage(
        request: Metachat_V1_SendMessageRequest, context: ServerContext
    ) async throws -> Metachat_V1_ChatReply {
        let input = try await self.input(request, context: context)
        return try await self.orchestrator.answer(input)
    }

    package func streamReply(
        request: Metachat_V1_SendMessageRequest, response: RPCWriter<Metachat_V1_ChatReplyDelta>,
        context: ServerContext
    ) async throws {
        let input = try await self.input(request, context: context)
        _ = try await self.orchestrator.answer(input) { delta in
            try await response.write(delta)
        }
    }

    package func chat(
        request: Metachat_V1_LegacyChatRequest, context: ServerContext
    ) async throws -> Metachat_V1_LegacyChatResponse {
        try RequestTextCheck.check(request)
        var context = context
        if !request.tenantID.isEmpty {
            guard request.tenantID.utf8.count == 36, UUID(canonicalText: request.tenantID) != nil else {
                throw TenantFieldViolation.error("tenantId", "must be a UUID")
            }
            let header = context.requestMetadata.firstString(forKey: TenantAccessResolver.tenantHeader)
            if let header, !header.isEmpty, UUID(canonicalText: header) != UUID(canonicalText: request.tenantID) {
                throw TenantFieldViolation.error("tenantId", "must name the same tenant as x-tenant-id")
            }
            if header == nil || header?.isEmpty == true {
                context.requestMetadata.addString(request.tenantID, forKey: TenantAccessResolver.tenantHeader)
            }
        }
        var message = Metachat_V1_SendMessageRequest()
        message.conversationID = request.conversationID
        message.text = request.message
        message.externalUserID = request.conversationID.isEmpty ? "api" : ""
        let input: ChatOrchestrator.Input
        do {
            input = try await self.input(message, context: context)
        } catch let error as RPCError where error.message.hasPrefix("text ") {
            // The original's field is `message`.
            throw RPCError(code: error.code, message: "message" + error.message.dropFirst(4))
        }
        let reply = try await self.orchestrator.answer(input)
        var response = Metachat_V1_LegacyChatResponse()
        response.conversationID = reply.conversationID
        if reply.hasMessage {
            response.response = reply.message.text
            response.messageID = reply.message.id
            response.model = reply.message.model
        }
        response.sources = reply.citations
        response.confidence = reply.confidence
        response.escalated = reply.escalated || reply.awaitingHuman
        if reply.hasUsage { response.usage = reply.usage }
        return response
    }

    package func channelSession(
        request: RPCAsyncSequence<Metachat_V1_ChannelInbound>, response: RPCWriter<Metachat_V1_ChannelOutbound>,
        context: ServerContext
    ) async throws {
        let access = try await self.access.resolve(context)
        try await self.gateway.run(tenantID: access.tenantID, requests: request, responses: response)
    }

    /// Checks a request and names the tenant it acts on.
    private func input(
        _ request: Metachat_V1_SendMessageRequest, context: ServerContext
    ) async throws -> ChatOrchestrator.Input {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        try ConversationFieldRules.text(request.text, allowEmpty: false)
        try TenantFieldRules.checkMetadata(request.metadata)
        var key = request.idempotencyKey
        if key.isEmpty, let header = context.requestMetadata.firstString(forKey: "idempotency-key") {
            try ConversationFieldRules.idempotencyKey(header, field: "Idempotency-Key")
            key = header
        } else if !key.isEmpty {
            try ConversationFieldRules.idempotencyKey(key, field: "idempotencyKey")
        }
        var conversationID: UUID?
        var channelType = "API"
        var channelID: UUID?
        if request.conversationID.isEmpty {
            _ = try ConversationFieldRules.identifier(request.externalUserID, field: "externalUserId")
            if request.channelID.isEmpty {
                guard
                    let name = StoredName.channelType(request.channelType == .unspecified ? .api : request.channelType)
                else { throw TenantFieldViolation.error("channelType", "must be a channel type") }
                channelType = name
            } else {
                channelID = try ConversationFieldRules.uuid(request.channelID, field: "channelId")
                guard request.channelType != .api, let name = StoredName.channelType(request.channelType) else {
                    throw TenantFieldViolation.error(
                        "channelType",
                        "must name the channel's type (WEB_CHAT, WHATSAPP or MESSENGER) when channelId is set")
                }
                channelType = name
            }
        } else {
            conversationID = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
            if !request.externalUserID.isEmpty {
                _ = try ConversationFieldRules.identifier(request.externalUserID, field: "externalUserId")
            }
        }
        return ChatOrchestrator.Input(
            tenantID: access.tenantID, conversationID: conversationID, channelType: channelType, channelID: channelID,
            externalUserID: request.externalUserID, text: request.text, metadata: request.metadata,
            idempotencyKey: key, requestHash: ChatRequestLedger.hash(request))
    }
}
