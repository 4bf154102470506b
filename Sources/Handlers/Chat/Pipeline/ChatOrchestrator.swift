internal import ChatStreams
package import FoundationEssentials
package import MetaChatAPI
package import Monitoring
internal import RPCServer
package import Storage
internal import SwiftProtobuf

/// Answers one end-user message, the same for every entry point (SendMessage, StreamReply,
/// `POST /api/chat`; docs/orchestrator.md):
///
/// 1. the idempotency key is claimed (``ChatRequestLedger``): a repeat replays the first reply;
/// 2. the conversation's turn is taken (``ConversationTurnLock``): one turn at a time per
///    conversation across all servers, in arrival order;
/// 3. a conversation that awaits or is assigned to a human, or a message with a hand-off keyword,
///    gets no model call (ESCALATION.md); otherwise the monthly quotas are checked before
///    anything is stored;
/// 4. the user message is stored, passages retrieved, the prompt built (``PromptBuilder``);
/// 5. the model streams: the citations go first, then each piece of text (confidence markers
///    filtered out) to the caller and as `reply_delta` events to every watcher;
/// 6. the answer is analysed (``ConfidenceAnalysis``, ``EscalationPolicy``) and stored with
///    citations, model, usage, latency, confidence and action — or withheld and the conversation
///    handed to a human; a failure stores no answer and ends the watchers' stream of pieces with
///    an error.
package struct ChatOrchestrator: Sendable {
    /// Tunables.
    package struct Configuration: Sendable, Hashable {
        /// Tokens of earlier turns a prompt may hold (the newest ones are kept). Default 3000.
        package var historyTokenBudget: Int
        /// Earlier messages read for the history. Default 100.
        package var historyMessages: Int
        /// A PENDING idempotency claim older than this is taken over. Default 330 s (longer than
        /// the longest model call).
        package var claimStaleAfter: Duration
        /// What answers cost (`LLM_PRICES`). Default: no prices (every answer unpriced).
        package var prices: ModelPriceTable

        /// The defaults above.
        package static let defaults = Configuration(
            historyTokenBudget: 3000, historyMessages: 100, claimStaleAfter: .seconds(330))

        /// Creates a configuration.
        package init(
            historyTokenBudget: Int, historyMessages: Int, claimStaleAfter: Duration, prices: ModelPriceTable = .none
        ) {
            self.historyTokenBudget = historyTokenBudget
            self.historyMessages = historyMessages
            self.claimStaleAfter = claimStaleAfter
            self.prices = prices
        }
    }

    /// A checked message to answer.
    package struct Input: Sendable {
        /// The tenant.
        package var tenantID: UUID
        /// The conversation to continue; `nil`: a new one.
        package var conversationID: UUID?
        /// A new conversation's channel type (stored name).
        package var channelType: String
        /// A new conversation's channel.
        package var channelID: UUID?
        /// The end user; empty: the conversation's.
        package var externalUserID: String
        /// The message.
        package var text: String
        /// Labels of the message.
        package var metadata: [String: String]
        /// The idempotency key; empty: none.
        package var idempotencyKey: String
        /// The hash of the request under the key.
        package var requestHash: String

        /// Creates an input.
        package init(
            tenantID: UUID, conversationID: UUID?, channelType: String, channelID: UUID?, externalUserID: String,
            text: String, metadata: [String: String], idempotencyKey: String, requestHash: String
        ) {
            self.tenantID = tenantID
            self.conversationID = conversationID
            self.channelType = channelType
            self.channelID = channelID
            self.externalUserID = externalUserID
            self.text = text
            self.metadata = metadata
            self.idempotencyKey = idempotencyKey
            self.requestHash = requestHash
        }
    }

    /// Receives the deltas of a streamed answer, in order.
    package typealias DeltaWriter = (Metachat_V1_ChatReplyDelta) async throws -> Void

    /// The longest answer text shown and stored (a message holds at most 32,000 characters;
    /// the rest is room for the disclaimer, at most 1,000).
    static let maximumAnswerScalars = 30_000

    let pool: PostgresPool
    let ledger: ConversationLedger
    let sink: any ConversationEventSink
    let retriever: (any Retriever)?
    let models: ChatModelDirectory
    let turns: ConversationTurnLock
    let requests: ChatRequestLedger
    let usage: ChatUsageLedger
    let configuration: Configuration
    let metrics: ChatMetrics

    /// Creates the orchestrator.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - events: Hears every event (the live stream).
    ///   - retriever: Finds passages; `nil`: answers have no context.
    ///   - models: Picks each tenant's model.
    ///   - turns: Orders the turns of a conversation.
    ///   - configuration: Tunables.
    ///   - metrics: Counts model calls (tokens, cost, latency, errors) and retrieval latency.
    package init(
        pool: PostgresPool, events: any ConversationEventSink, retriever: (any Retriever)?, models: ChatModelDirectory,
        turns: ConversationTurnLock, configuration: Configuration = .defaults,
        metrics: ChatMetrics = PlatformMetrics.unobserved().chat
    ) {
        self.pool = pool
        self.ledger = ConversationLedger(pool: pool, events: events)
        self.sink = events
        self.retriever = retriever
        self.models = models
        self.turns = turns
        self.requests = ChatRequestLedger(pool: pool, staleAfter: configuration.claimStaleAfter)
        self.usage = ChatUsageLedger(pool: pool)
        self.configuration = configuration
        self.metrics = metrics
    }

    /// Answers `input`; with `deltas`, streams the answer to it as it is generated.
    package func answer(_ input: Input, deltas: DeltaWriter? = nil) async throws -> Metachat_V1_ChatReply {
        let received = ContinuousClock.now
        var conversationID = input.conversationID
        let key = input.idempotencyKey
        if !key.isEmpty {
            let deadline = ContinuousClock.now + self.configuration.claimStaleAfter
            claiming: while true {
                switch try await self.requests.claim(tenantID: input.tenantID, key: key, hash: input.requestHash) {
                case .replay(let reply):
                    if let deltas { try await Self.replay(reply, to: deltas) }
                    return reply
                case .owned(let earlier):
                    conversationID = earlier ?? conversationID
                    break claiming
                case .busy:
                    // The first call with this key still runs (maybe on another server): wait for
                    // its reply.
                    guard ContinuousClock.now < deadline else {
                        throw RPCError(
                            code: .unavailable, message: "A call with this idempotencyKey is still being answered.")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        do {
            let settings = try await ChatTenantSettings.load(input.tenantID, pool: self.pool)
            var created = false
            let id: UUID
            if let conversationID {
                id = conversationID
            } else {
                // A new conversation is created only once the message would be accepted.
                try await self.admit(input, settings: settings, humanOwned: false)
                let conversation: Metachat_V1_Conversation
                if let channelID = input.channelID {
                    // A channel user's first messages may be answered at once (two callbacks, two
                    // tabs): they find or create one conversation under a lock on the user.
                    (conversation, created) = try await self.ledger.openOrCreate(
                        tenantID: input.tenantID, channelType: input.channelType, channelID: channelID,
                        externalUserID: input.externalUserID, metadata: input.metadata)
                } else {
                    conversation = try await self.ledger.create(
                        tenantID: input.tenantID, channelType: input.channelType, channelID: nil,
                        externalUserID: input.externalUserID, title: "", metadata: input.metadata)
                    created = true
                }
                guard let newID = UUID(canonicalText: conversation.id) else {
                    throw RPCError(code: .internalError, message: RPCError.unknownErrorMessage)
                }
                id = newID
            }
            if !key.isEmpty {
                try await self.requests.attach(tenantID: input.tenantID, key: key, conversationID: id)
            }
            var reply = try await self.turns.withTurn(tenantID: input.tenantID, conversationID: id) {
                try await self.turn(input, conversationID: id, settings: settings, received: received, deltas: deltas)
            }
            reply.conversationCreated = created
            if !key.isEmpty {
                try await self.requests.complete(tenantID: input.tenantID, key: key, reply: reply)
            }
            return reply
        } catch {
            if !key.isEmpty {
                await self.requests.fail(tenantID: input.tenantID, key: key, error: String(describing: error))
            }
            throw error
        }
    }

    /// Refuses a message that would call a model while a quota is used up or no model can be
    /// built; nothing is stored before this passes.
    private func admit(_ input: Input, settings: ChatTenantSettings, humanOwned: Bool) async throws {
        let policy = EscalationPolicy(settings.settings.escalation)
        guard !humanOwned, policy.handoffKeyword(in: input.text) == nil else { return }
        _ = try self.models.model(
            for: settings.settings.llm, storedKey: settings.storedAPIKey, tenantID: input.tenantID)
        try await self.usage.checkQuota(tenantID: input.tenantID, quota: settings.settings.quota)
    }

    // MARK: The turn

    private func turn(
        _ input: Input, conversationID: UUID, settings: ChatTenantSettings, received: ContinuousClock.Instant,
        deltas: DeltaWriter?
    ) async throws -> Metachat_V1_ChatReply {
        let tenantID = input.tenantID
        let conversation = try await self.ledger.conversation(tenantID: tenantID, id: conversationID)
        if !input.externalUserID.isEmpty, input.externalUserID != conversation.externalUserID {
            throw TenantFieldViolation.error("externalUserId", "must match the conversation's end user (or be empty)")
        }
        guard conversation.status != .closed else {
            throw RPCError(
                code: .failedPrecondition, message: "Conversation \(conversation.id) is closed; reopen it first.")
        }
        let humanOwned = conversation.status == .awaitingHuman || conversation.status == .assignedToHuman
        try await self.admit(input, settings: settings, humanOwned: humanOwned)
        let policy = EscalationPolicy(settings.settings.escalation)

        var userMessage = Metachat_V1_Message()
        userMessage.role = .user
        userMessage.text = input.text
        userMessage.authorID = conversation.externalUserID
        userMessage.metadata = input.metadata
        userMessage.idempotencyKey = input.idempotencyKey
        let stored = try await self.ledger.record(
            tenantID: tenantID, conversationID: conversationID, userMessage, actor: conversation.externalUserID
        ).message
        var reply = Metachat_V1_ChatReply()
        reply.conversationID = conversation.id
        reply.userMessage = stored

        if humanOwned {
            reply.awaitingHuman = true
            try await Self.finalOnly(reply, to: deltas)
            return reply
        }
        if let keyword = policy.handoffKeyword(in: input.text) {
            let handoff = try await self.handOff(
                tenantID: tenantID, conversationID: conversationID, userMessageID: stored.id,
                escalation: ConversationLedger.Escalation(reason: .keyword, matchedKeyword: keyword),
                text: policy.handoffMessage)
            reply.message = handoff
            reply.escalated = true
            reply.escalationReason = .keyword
            try await Self.finalOnly(reply, to: deltas)
            return reply
        }
        return try await self.generate(
            input, conversation: conversation, userMessage: stored, settings: settings, policy: policy,
            received: received, reply: reply, deltas: deltas)
    }

    private func generate(
        _ input: Input, conversation: Metachat_V1_Conversation, userMessage: Metachat_V1_Message,
        settings: ChatTenantSettings, policy: EscalationPolicy, received: ContinuousClock.Instant,
        reply initial: Metachat_V1_ChatReply, deltas: DeltaWriter?
    ) async throws -> Metachat_V1_ChatReply {
        var reply = initial
        let tenantID = input.tenantID
        guard let conversationID = UUID(canonicalText: conversation.id) else {
            throw RPCError(code: .internalError, message: RPCError.unknownErrorMessage)
        }
        let llm = settings.settings.llm
        let model = try self.models.model(for: llm, storedKey: settings.storedAPIKey, tenantID: tenantID)
        let provider = ChatModelDirectory.providerName(self.models.provider(of: llm))

        // Retrieval (the tenant's RAG settings; on unless switched off).
        var sources: [ChatModelRequest.Source] = []
        let rag = settings.settings.rag
        if let retriever = self.retriever, !rag.hasEnabled || rag.enabled.value {
            let retrievalStarted = ContinuousClock.now
            let retrieval = try await retriever.retrieve(
                RetrievalQuery(text: String(input.text.prefix(2000))), tenantID: tenantID)
            self.metrics.retrieved(duration: ContinuousClock.now - retrievalStarted)
            for (index, passage) in retrieval.passages.enumerated() {
                sources.append(
                    ChatModelRequest.Source(number: index + 1, text: passage.text, citation: passage.citation))
            }
        }
        let citations = sources.map(\.citation)

        // The prompt.
        let history = try await self.history(
            tenantID: tenantID, conversationID: conversationID, excluding: userMessage.id,
            limit: self.configuration.historyMessages)
        let builder = PromptBuilder(historyTokenBudget: self.configuration.historyTokenBudget)
        let request = ChatModelRequest(
            system: builder.system(tenantName: settings.name, instructions: llm.systemPrompt, sources: sources),
            messages: builder.messages(history: history, question: input.text),
            sources: sources, model: llm.model, temperature: llm.hasTemperature ? llm.temperature.value : 0.2,
            maxTokens: llm.maxTokens > 0 ? Int(llm.maxTokens) : 1024)

        // Streaming: citations first, then the pieces.
        let messageID = UUID()
        var stream = ReplyStream(
            tenantID: tenantID, conversationID: conversation.id, messageID: messageID.lowercasedString, sink: self.sink,
            deltas: deltas)
        try await stream.begin(citations: citations, userMessage: userMessage)
        var filter = ConfidenceMarkerFilter()
        var shown = ""
        var shownScalars = 0
        // What the caller sees is what is stored: text past the longest answer (less room for the
        // disclaimer) is neither sent nor kept.
        func show(_ text: String) async throws {
            let room = Self.maximumAnswerScalars - shownScalars
            guard room > 0, !text.isEmpty else { return }
            var visible = text
            if visible.unicodeScalars.count > room {
                visible = String(String.UnicodeScalarView(visible.unicodeScalars.prefix(room)))
            }
            shownScalars += visible.unicodeScalars.count
            shown += visible
            try await stream.text(visible)
        }
        let result: ChatModelResult
        let modelStarted = ContinuousClock.now
        do {
            result = try await model.generate(request) { piece in
                try await show(filter.push(piece))
            }
            try await show(filter.finish())
        } catch {
            let rpcError: RPCError =
                switch error {
                case let error as ChatModelError: error.rpcError
                case let error as RPCError: error
                case is CancellationError: RPCError(code: .cancelled, message: "The caller went away.")
                default: RPCError(code: .internalError, message: RPCError.unknownErrorMessage)
                }
            self.metrics.failed(
                provider: provider, status: rpcError.code.name, duration: ContinuousClock.now - modelStarted)
            await stream.fail(rpcError.message)
            throw rpcError
        }

        // Analysis and action.
        let analysis = ConfidenceAnalysis.analyze(question: input.text, answer: shown, marker: filter.marker)
        let action = policy.action(for: analysis, question: input.text)
        var usage = Metachat_V1_TokenUsage()
        usage.promptTokens = Int32(clamping: result.promptTokens)
        usage.completionTokens = Int32(clamping: result.completionTokens)
        usage.totalTokens = Int32(clamping: result.promptTokens + result.completionTokens)
        reply.citations = citations
        reply.confidence = analysis.score
        reply.confidenceLevel = analysis.level
        reply.escalationAction = action
        reply.usage = usage

        // The usage row commits with the stored answer (or the hand-off message of a withheld
        // one): an answer is never stored without what it used, nor counted without being stored.
        let spent = ChatUsageLedger.Answer(
            provider: provider, model: result.model, promptTokens: result.promptTokens,
            completionTokens: result.completionTokens,
            costNanoUSD: self.configuration.prices.costNanoUSD(
                provider: provider, model: result.model, promptTokens: result.promptTokens,
                completionTokens: result.completionTokens))
        self.metrics.answered(
            provider: provider, promptTokens: result.promptTokens, completionTokens: result.completionTokens,
            costNanoUSD: spent.costNanoUSD, duration: ContinuousClock.now - modelStarted)
        let recordUsage: @Sendable (PostgresConnection) async throws -> Void = { connection in
            try await ChatUsageLedger.record(spent, tenantID: tenantID, on: connection)
        }
        if action == .immediateEscalation {
            await stream.end()
            let note =
                "Answer withheld: confidence \(Self.format(analysis.score)) (\(analysis.level)); self-assessment "
                + (analysis.selfAssessment.map(Self.format) ?? "none") + ", hedging \(Self.format(analysis.hedging)), "
                + "quality \(Self.format(analysis.quality))."
            let handoff = try await self.handOff(
                tenantID: tenantID, conversationID: conversationID, userMessageID: userMessage.id,
                escalation: ConversationLedger.Escalation(
                    reason: .lowConfidence, note: note, confidence: analysis.score),
                text: policy.handoffMessage, alongside: recordUsage)
            reply.message = handoff
            reply.escalated = true
            reply.escalationReason = .lowConfidence
        } else {
            var text = shown
            if action == .sendWithDisclaimer || action == .suggestReview {
                let disclaimer = (shown.isEmpty ? "" : "\n\n") + policy.disclaimer
                text += disclaimer
                try await stream.text(disclaimer)
            }
            await stream.end()
            var answer = Metachat_V1_Message()
            answer.id = messageID.lowercasedString
            answer.role = .assistant
            answer.text = text
            answer.citations = citations
            answer.confidence = analysis.score
            answer.model = result.model
            answer.usage = usage
            answer.latency = Google_Protobuf_Duration(
                seconds: (ContinuousClock.now - received).components.seconds,
                nanos: Int32((ContinuousClock.now - received).components.attoseconds / 1_000_000_000))
            answer.escalationAction = action
            answer.needsReview = action == .suggestReview
            reply.message = try await self.ledger.record(
                tenantID: tenantID, conversationID: conversationID, answer, actor: "system", alongside: recordUsage
            ).message
        }
        try await stream.final(reply)
        return reply
    }

    /// The conversation's newest messages before the one being answered, newest first, as the
    /// prompt needs them: role and text only (no details to decode).
    private func history(tenantID: UUID, conversationID: UUID, excluding messageID: String, limit: Int)
        async throws -> [Metachat_V1_Message]
    {
        let excluded = UUID(canonicalText: messageID)
        do {
            return try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                let rows = try await connection.query(
                    """
                    SELECT role, text FROM messages
                    WHERE tenant_id = \(tenantID) AND conversation_id = \(conversationID)
                      AND id IS DISTINCT FROM \(excluded)
                    ORDER BY event_id DESC LIMIT \(limit)
                    """)
                return try rows.map { row in
                    var message = Metachat_V1_Message()
                    message.role = StoredName.role(try row.decode("role", as: String.self))
                    message.text = try row.decode("text", as: String.self)
                    return message
                }
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    /// Hands the conversation to a human: `escalated` (with the analysis), then the hand-off
    /// message as a SYSTEM message.
    private func handOff(
        tenantID: UUID, conversationID: UUID, userMessageID: String, escalation: ConversationLedger.Escalation,
        text: String, alongside: (@Sendable (PostgresConnection) async throws -> Void)? = nil
    ) async throws -> Metachat_V1_Message {
        var escalation = escalation
        escalation.messageID = UUID(canonicalText: userMessageID)
        _ = try await self.ledger.transition(
            tenantID: tenantID, id: conversationID, .escalate, actor: "system", escalation: escalation)
        var message = Metachat_V1_Message()
        message.role = .system
        message.text = text
        return try await self.ledger.record(
            tenantID: tenantID, conversationID: conversationID, message, actor: "system", alongside: alongside
        )
        .message
    }

    private static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    /// A reply without generated text as one final delta.
    private static func finalOnly(_ reply: Metachat_V1_ChatReply, to deltas: DeltaWriter?) async throws {
        guard let deltas else { return }
        var delta = ReplyStream.finalDelta(reply, sequence: 0)
        delta.userMessage = reply.userMessage
        try await deltas(delta)
    }

    /// A stored reply replayed as a stream: the first delta, the text, the final delta.
    private static func replay(_ reply: Metachat_V1_ChatReply, to deltas: @escaping DeltaWriter) async throws {
        guard reply.hasMessage, !reply.awaitingHuman else {
            try await self.finalOnly(reply, to: deltas)
            return
        }
        var first = Metachat_V1_ChatReplyDelta()
        first.conversationID = reply.conversationID
        first.messageID = reply.message.id
        first.citations = reply.citations
        first.userMessage = reply.userMessage
        try await deltas(first)
        var text = first
        text.citations = []
        text.clearUserMessage()
        text.sequence = 1
        text.textDelta = reply.message.text
        try await deltas(text)
        try await deltas(ReplyStream.finalDelta(reply, sequence: 2))
    }
}
