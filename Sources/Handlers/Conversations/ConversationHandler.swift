internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage
internal import SwiftProtobuf

/// Answers `metachat.v1.ConversationService`: conversations, their messages, the hand-off between
/// the assistant and human agents, erasure, export and the live event stream.
///
/// Every method checks the request's text (``RequestTextCheck``), resolves the tenant it acts on
/// (``TenantAccessResolver``: a tenant key on its own tenant, an admin key on the tenant named in
/// `x-tenant-id`, audited), checks its fields, then hands the work to the ``ConversationLedger``,
/// which runs it in one tenant-scoped transaction with its durable events. A conversation of
/// another tenant answers `NOT_FOUND`, exactly like one that does not exist.
///
/// ```swift
/// ConversationHandler(pool: postgres, events: hub, watcher: hub).registerMethods(with: &router)
/// ```
package struct ConversationHandler: Metachat_V1_ConversationService.Handler {
    let ledger: ConversationLedger
    let access: TenantAccessResolver
    let stream: ConversationEventHub?

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - events: Hears every event once it exists.
    ///   - stream: Serves WatchConversationEvents (`UNIMPLEMENTED` without one); usually also
    ///     `events`.
    package init(
        pool: PostgresPool, events: any ConversationEventSink = IgnoringConversationEventSink(),
        stream: ConversationEventHub? = nil
    ) {
        self.ledger = ConversationLedger(pool: pool, events: events)
        self.access = TenantAccessResolver(pool: pool)
        self.stream = stream
    }

    /// A handler whose events feed `hub`, which also serves the stream.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - hub: The live stream.
    package init(pool: PostgresPool, hub: ConversationEventHub) {
        self.init(pool: pool, events: hub, stream: hub)
    }

    package func createConversation(
        request: Metachat_V1_CreateConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let externalUserID = try ConversationFieldRules.identifier(request.externalUserID, field: "externalUserId")
        try TenantTextRules.check(request.title, field: "title", maximum: 200)
        try TenantFieldRules.checkMetadata(request.metadata)
        var channelID: UUID?
        let channelType: String
        if request.channelID.isEmpty {
            guard let name = StoredName.channelType(request.channelType == .unspecified ? .api : request.channelType)
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
        return try await self.ledger.create(
            tenantID: access.tenantID, channelType: channelType, channelID: channelID,
            externalUserID: externalUserID, title: request.title, metadata: request.metadata)
    }

    package func getConversation(
        request: Metachat_V1_GetConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        return try await self.ledger.conversation(tenantID: access.tenantID, id: id)
    }

    package func listConversations(
        request: Metachat_V1_ListConversationsRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ListConversationsResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let pageSize = try Self.pageSize(request.pageSize)
        let filter = try ConversationListFilter(request)
        let fingerprint = filter.fingerprint
        var cursor: (micros: Int64, id: UUID)?
        if !request.pageToken.isEmpty {
            let token = try KeysetPageToken(
                decoding: request.pageToken, filters: fingerprint, method: "ListConversations")
            guard let id = token.id else {
                throw TenantFieldViolation.error(
                    "pageToken", "is not a token from a previous ListConversations response")
            }
            cursor = (token.position, id)
        }
        let (rows, lastEventID) = try await self.ledger.list(
            tenantID: access.tenantID, filter: filter, after: cursor, limit: pageSize + 1)
        var response = Metachat_V1_ListConversationsResponse()
        let page = rows.prefix(pageSize)
        response.conversations = page.map(\.conversation)
        if rows.count > pageSize, let last = page.last, let id = UUID(canonicalText: last.conversation.id) {
            response.nextPageToken = KeysetPageToken(position: last.updatedMicros, id: id, filters: fingerprint)
                .encoded()
        }
        response.lastEventID = lastEventID > 0 ? String(lastEventID) : ""
        return response
    }

    package func updateConversation(
        request: Metachat_V1_UpdateConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Conversation {
        // The conversation's fields are named relative to it, as the mask names them.
        var outside = request
        outside.clearConversation()
        try RequestTextCheck.check(outside)
        try RequestTextCheck.check(request.conversation)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        let body = request.conversation
        let mask = try ConversationUpdateMask(paths: request.updateMask.paths, body: body)
        if mask.title {
            try TenantTextRules.check(body.title, field: "title", maximum: 200)
        }
        if mask.metadata {
            try TenantFieldRules.checkMetadata(body.metadata)
        }
        return try await self.ledger.update(
            tenantID: access.tenantID, id: id, title: mask.title ? body.title : nil,
            metadata: mask.metadata ? body.metadata : nil, needsReview: mask.needsReview ? body.needsReview : nil)
    }

    package func deleteConversation(
        request: Metachat_V1_DeleteConversationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_DeleteConversationResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        let counts = try await self.ledger.delete(
            tenantID: access.tenantID, id: id, actor: access.actor, requestID: context.requestID)
        var response = Metachat_V1_DeleteConversationResponse()
        response.conversationID = id.lowercasedString
        response.deletedMessages = Int32(clamping: counts.messages)
        response.deletedEvents = Int32(clamping: counts.events)
        return response
    }

    package func exportConversation(
        request: Metachat_V1_ExportConversationRequest,
        response: RPCWriter<Metachat_V1_ConversationExportItem>,
        context: ServerContext
    ) async throws {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        let conversation = try await self.ledger.beginExport(
            tenantID: access.tenantID, id: id, actor: access.actor, requestID: context.requestID)
        var item = Metachat_V1_ConversationExportItem()
        item.conversation = conversation
        try await response.write(item)
        var position: Int64?
        while true {
            // One short transaction per page: a slow reader holds no connection.
            let (rows, _) = try await self.ledger.messages(
                tenantID: access.tenantID, conversationID: id, after: position, newestFirst: false, limit: 200)
            for row in rows {
                var item = Metachat_V1_ConversationExportItem()
                item.message = row.message
                try await response.write(item)
            }
            guard rows.count == 200, let last = rows.last else { return }
            position = last.eventID
        }
    }

    package func listMessages(
        request: Metachat_V1_ListMessagesRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ListMessagesResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        let pageSize = try Self.pageSize(request.pageSize)
        let filters = "\(id.lowercasedString)/\(request.newestFirst ? "newest" : "oldest")"
        var position: Int64?
        if !request.pageToken.isEmpty {
            position = try KeysetPageToken(decoding: request.pageToken, filters: filters, method: "ListMessages")
                .position
        }
        let (rows, lastEventID) = try await self.ledger.messages(
            tenantID: access.tenantID, conversationID: id, after: position, newestFirst: request.newestFirst,
            limit: pageSize + 1)
        var response = Metachat_V1_ListMessagesResponse()
        let page = rows.prefix(pageSize)
        response.messages = page.map(\.message)
        if rows.count > pageSize, let last = page.last {
            response.nextPageToken = KeysetPageToken(position: last.eventID, filters: filters).encoded()
        }
        response.lastEventID = lastEventID > 0 ? String(lastEventID) : ""
        return response
    }

    package func postAgentReply(
        request: Metachat_V1_PostAgentReplyRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Message {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let id = try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        let agentID = try ConversationFieldRules.identifier(request.agentID, field: "agentId")
        try ConversationFieldRules.checkAttachments(request.attachments)
        try ConversationFieldRules.text(request.text, allowEmpty: !request.attachments.isEmpty)
        try TenantFieldRules.checkMetadata(request.metadata)
        var key = request.idempotencyKey
        if key.isEmpty, let header = context.requestMetadata.firstString(forKey: "idempotency-key") {
            try ConversationFieldRules.idempotencyKey(header, field: "Idempotency-Key")
            key = header
        } else if !key.isEmpty {
            try ConversationFieldRules.idempotencyKey(key, field: "idempotencyKey")
        }
        var message = Metachat_V1_Message()
        message.role = .agent
        message.text = request.text
        message.authorID = agentID
        message.attachments = request.attachments
        message.metadata = request.metadata
        message.idempotencyKey = key
        return try await self.ledger.record(tenantID: access.tenantID, conversationID: id, message, actor: agentID)
            .message
    }

    package func watchConversationEvents(
        request: Metachat_V1_WatchConversationEventsRequest,
        response: RPCWriter<Metachat_V1_ConversationEvent>,
        context: ServerContext
    ) async throws {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.conversationID)
        let conversationID =
            request.conversationID.isEmpty
            ? nil : try ConversationFieldRules.uuid(request.conversationID, field: "conversationId")
        guard request.kinds.count <= 10 else {
            throw TenantFieldViolation.error("kinds", "must list at most 10 kinds")
        }
        var kinds: Set<Metachat_V1_ConversationEventKind> = []
        for (index, kind) in request.kinds.enumerated() {
            switch kind {
            case .unspecified, .UNRECOGNIZED:
                throw TenantFieldViolation.error("kinds[\(index)]", "must be a conversation event kind")
            default:
                kinds.insert(kind)
            }
        }
        let after = try Self.eventID(request.afterEventID)
        guard let stream = self.stream else {
            throw RPCError(code: .unimplemented, message: "This server does not serve the conversation event stream.")
        }
        try await stream.watch(
            tenantID: access.tenantID,
            filter: ConversationEventWatcher.Filter(
                conversationID: conversationID?.lowercasedString, kinds: kinds),
            after: after, response: response)
    }

    // MARK: Helpers

    /// An `after_event_id`: empty for none, else a decimal event id (1-19 digits, at most
    /// 9223372036854775807).
    static func eventID(_ text: String) throws -> Int64? {
        guard !text.isEmpty else { return nil }
        guard text.utf8.count <= 19, text.utf8.allSatisfy({ (48...57).contains($0) }), let id = Int64(text) else {
            throw TenantFieldViolation.error("afterEventId", "must be an event id (a decimal number)")
        }
        return id
    }

    /// A page size: 0 means 50, more than 200 is clamped to 200.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `pageSize` when it is negative.
    static func pageSize(_ value: Int32) throws -> Int {
        guard value >= 0 else {
            throw TenantFieldViolation.error("pageSize", "must not be negative")
        }
        return value == 0 ? 50 : min(Int(value), 200)
    }
}
