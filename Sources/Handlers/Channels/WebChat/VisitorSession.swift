internal import FoundationEssentials
internal import Logging
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf
internal import Synchronization
internal import WidgetProtocol

/// One widget socket after a valid `hello`: the visitor's conversation, the task forwarding its
/// events, and the visitor's messages.
final class VisitorSession: Sendable {
    let gateway: WidgetGateway
    let session: WebSocketSession
    let channel: WidgetChannel
    let visitorID: UUID
    let address: String

    private struct State {
        var conversationID: UUID?
        var watch: Task<Void, Never>?
    }

    private let state = Mutex(State())

    init(gateway: WidgetGateway, session: WebSocketSession, channel: WidgetChannel, visitorID: UUID, address: String) {
        self.gateway = gateway
        self.session = session
        self.channel = channel
        self.visitorID = visitorID
        self.address = address
    }

    /// The event kinds a widget sees.
    static let kinds: Set<Metachat_V1_ConversationEventKind> = [.messageCreated, .assigned, .replyDelta, .typing]

    /// Sends `ready` and the history (or, with `after`, what followed it), then forwards the
    /// conversation's events.
    func start(after: Int64?) async throws {
        guard let conversationID = try await self.openConversation() else {
            try await self.send(
                .ready(
                    visitorID: self.visitorID.lowercasedString, conversationID: "", lastEventID: after ?? 0,
                    greeting: self.channel.greeting, title: self.channel.title))
            return
        }
        self.state.withLock { $0.conversationID = conversationID }
        let latest = try await self.lastEventID(conversationID)
        try await self.send(
            .ready(
                visitorID: self.visitorID.lowercasedString, conversationID: conversationID.lowercasedString,
                lastEventID: latest, greeting: self.channel.greeting, title: self.channel.title))
        if let after {
            self.watch(conversationID, after: after)
        } else {
            try await self.sendHistory(conversationID, after: 0, through: latest)
            self.watch(conversationID, after: latest)
        }
    }

    /// Ends the forwarding task.
    func stop() {
        self.state.withLock { $0.watch }?.cancel()
    }

    /// A visitor's message: limits, `ack`, then the answer in a task of its own (it finishes and
    /// is stored even when the visitor leaves meanwhile).
    func receive(clientID: String, text: String) async throws {
        let limits = self.gateway.limits
        let limiter = self.gateway.limiter
        let byVisitor = await limiter.check(
            subject: "widget:visitor:\(self.visitorID.lowercasedString)", policy: limits.messagesPerVisitor)
        let byAddress =
            byVisitor.allowed
            ? await limiter.check(subject: "widget:address:\(self.address)", policy: limits.messagesPerAddress)
            : byVisitor
        guard byVisitor.allowed, byAddress.allowed else {
            let seconds = max(1, (max(byVisitor.retryAfterMilliseconds, byAddress.retryAfterMilliseconds) + 999) / 1000)
            try await self.send(
                .error(code: .rateLimited, message: "Too many messages; retry in \(seconds) s.", clientID: clientID))
            return
        }
        try await self.send(.ack(clientID: clientID))
        let conversationID: UUID
        do {
            conversationID = try await self.conversation()
        } catch {
            self.gateway.logger.warning("widget conversation not opened: \(String(reflecting: error))")
            try await self.send(
                .error(
                    code: .notAnswered, message: "The message could not be stored; send it again.", clientID: clientID))
            return
        }
        let channelID = self.channel.channelID.lowercasedString
        let key =
            "widget:"
            + Digest.hex(Digest.sha256(Array("\(channelID):\(self.visitorID.lowercasedString):\(clientID)".utf8)))
        let input = ChatOrchestrator.Input(
            tenantID: self.channel.tenantID, conversationID: conversationID, channelType: "WEB_CHAT",
            channelID: self.channel.channelID, externalUserID: self.visitorID.lowercasedString, text: text,
            metadata: [WidgetGateway.clientIDKey: clientID], idempotencyKey: key,
            requestHash: Digest.hex(Digest.sha256(Array(text.utf8))))
        let orchestrator = self.gateway.orchestrator
        let session = self.session
        let logger = self.gateway.logger
        Task {
            let refusal: WidgetServerFrame?
            do {
                _ = try await orchestrator.answer(input)
                refusal = nil
            } catch let error as RPCError {
                refusal =
                    switch error.code {
                    case .alreadyExists:
                        .error(
                            code: .clientIDReused, message: "clientId was already used for another text",
                            clientID: clientID)
                    case .internalError:
                        .error(code: .notAnswered, message: "The message could not be answered.", clientID: clientID)
                    default:
                        .error(code: .notAnswered, message: error.message, clientID: clientID)
                    }
            } catch {
                logger.warning("widget answer failed: \(String(reflecting: error))")
                refusal = .error(code: .notAnswered, message: "The message could not be answered.", clientID: clientID)
            }
            if let refusal {
                try? await WidgetGateway.send(refusal, on: session)
            }
        }
    }

    // MARK: Conversation

    /// The visitor's conversation, created (and watched from its start) on the first message.
    /// Found or created under a lock on the channel and visitor, so two tabs sending a new
    /// visitor's first messages at once share one conversation.
    private func conversation() async throws -> UUID {
        if let known = self.state.withLock({ $0.conversationID }) { return known }
        let (conversation, created) = try await self.gateway.ledger.openOrCreate(
            tenantID: self.channel.tenantID, channelType: "WEB_CHAT", channelID: self.channel.channelID,
            externalUserID: self.visitorID.lowercasedString)
        guard let id = UUID(canonicalText: conversation.id) else {
            throw RPCError(code: .internalError, message: RPCError.unknownErrorMessage)
        }
        let latest = created ? Int64(conversation.lastEventID) ?? 0 : try await self.lastEventID(id)
        self.state.withLock { $0.conversationID = id }
        self.watch(id, after: latest)
        return id
    }

    /// The newest not-closed conversation of the channel and visitor.
    private func openConversation() async throws -> UUID? {
        let tenantID = self.channel.tenantID
        let channelID = self.channel.channelID
        let visitor = self.visitorID.lowercasedString
        return try await self.gateway.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await connection.query(
                """
                SELECT id FROM conversations
                WHERE tenant_id = \(tenantID) AND channel_id = \(channelID) AND external_user_id = \(visitor)
                  AND status <> 'CLOSED'
                ORDER BY updated_at DESC, id DESC LIMIT 1
                """
            ).first.map { try $0.decode("id", as: UUID.self) }
        }
    }

    /// The id of the conversation's latest event.
    private func lastEventID(_ conversationID: UUID) async throws -> Int64 {
        let tenantID = self.channel.tenantID
        return try await self.gateway.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await connection.query(
                "SELECT last_event_id FROM conversations WHERE tenant_id = \(tenantID) AND id = \(conversationID)"
            ).first.map { try $0.decode("last_event_id", as: Int64.self) } ?? 0
        }
    }

    /// Sends the stored messages with event ids in `after+1...through`, oldest first (at most the
    /// newest ``WidgetLimits/historyMessages``).
    private func sendHistory(_ conversationID: UUID, after: Int64, through: Int64) async throws {
        let tenantID = self.channel.tenantID
        let limit = self.gateway.limits.historyMessages
        let rows = try await self.gateway.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await connection.query(
                """
                SELECT \(unescaped: MessageRow.columns) FROM messages
                WHERE tenant_id = \(tenantID) AND conversation_id = \(conversationID)
                  AND event_id > \(after) AND event_id <= \(through)
                ORDER BY event_id DESC LIMIT \(limit)
                """
            ).map { try MessageRow($0) }
        }
        for row in rows.reversed() {
            try await self.send(.message(Self.widgetMessage(row.message, eventID: row.eventID)))
        }
    }

    // MARK: Events

    /// Forwards the conversation's events after `after` until the session ends.
    private func watch(_ conversationID: UUID, after: Int64) {
        let hub = self.gateway.hub
        let tenantID = self.channel.tenantID
        let session = self.session
        let filter = ConversationEventWatcher.Filter(conversationID: conversationID.lowercasedString, kinds: Self.kinds)
        let task = Task {
            var position = after
            let writer = RPCWriter<Metachat_V1_ConversationEvent> { event in
                guard let frame = Self.frame(for: event) else { return }
                try await WidgetGateway.send(frame, on: session)
            }
            do {
                do {
                    try await hub.watch(tenantID: tenantID, filter: filter, after: position, response: writer)
                } catch let error as RPCError where error.code == .failedPrecondition {
                    // Events after `after` are pruned: the stored messages stand in for them.
                    let latest = try await self.lastEventID(conversationID)
                    try await self.sendHistory(conversationID, after: position, through: latest)
                    position = latest
                    try await hub.watch(tenantID: tenantID, filter: filter, after: position, response: writer)
                }
            } catch let error as RPCError where error.code == .invalidArgument {
                try? await WidgetGateway.send(
                    .error(
                        code: .invalidFrame, message: "after lies ahead of the conversation's events", clientID: nil),
                    on: session)
                await session.close(code: WidgetGateway.Close.badHello, reason: "bad after")
            } catch {
                guard !Task.isCancelled else { return }
                try? await WidgetGateway.send(
                    .error(code: .unavailable, message: "The event stream ended; reconnect with after.", clientID: nil),
                    on: session)
                await session.close(code: .internalError, reason: "stream ended")
            }
        }
        let earlier = self.state.withLock { state in
            defer { state.watch = task }
            return state.watch
        }
        earlier?.cancel()
    }

    /// The widget frame for a conversation event; `nil` for what the widget does not show.
    static func frame(for event: Metachat_V1_ConversationEvent) -> WidgetServerFrame? {
        switch event.payload {
        case .messageCreated(let created):
            guard let eventID = Int64(event.eventID) else { return nil }
            return .message(Self.widgetMessage(created.message, eventID: eventID))
        case .assigned(let assigned):
            guard let eventID = Int64(event.eventID), !assigned.assigneeID.isEmpty else { return nil }
            return .agentJoined(eventID: eventID)
        case .replyDelta(let delta):
            return .delta(
                messageID: delta.messageID, text: delta.textDelta, final: delta.isFinal,
                failed: !delta.errorMessage.isEmpty)
        case .typing(let typing):
            switch typing.role {
            case .assistant: return .typing(role: "assistant", typing: typing.typing)
            case .agent: return .typing(role: "agent", typing: typing.typing)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A stored message as the widget shows it.
    static func widgetMessage(_ message: Metachat_V1_Message, eventID: Int64) -> WidgetMessage {
        let role =
            switch message.role {
            case .user: "user"
            case .assistant: "assistant"
            case .agent: "agent"
            default: "system"
            }
        return WidgetMessage(
            eventID: eventID, id: message.id, role: role, text: message.text,
            clientID: message.role == .user ? message.metadata[WidgetGateway.clientIDKey] : nil,
            createdAt: message.createdAt.date.formatted(.iso8601))
    }

    private func send(_ frame: WidgetServerFrame) async throws {
        try await WidgetGateway.send(frame, on: self.session)
    }
}
