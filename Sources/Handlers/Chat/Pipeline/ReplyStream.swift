internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// The pieces of one answer on their two ways out: as ``ChatReplyDelta``s to the caller (when it
/// streams) and as live `reply_delta` events to every watcher of the conversation, with one
/// sequence shared by both. The first piece carries the citations (and, for the caller, the
/// stored user message) before any text.
struct ReplyStream {
    let tenantID: UUID
    let conversationID: String
    let messageID: String
    let sink: any ConversationEventSink
    let deltas: ChatOrchestrator.DeltaWriter?
    private(set) var sequence: Int32 = 0
    private var ended = false

    init(
        tenantID: UUID, conversationID: String, messageID: String, sink: any ConversationEventSink,
        deltas: ChatOrchestrator.DeltaWriter?
    ) {
        self.tenantID = tenantID
        self.conversationID = conversationID
        self.messageID = messageID
        self.sink = sink
        self.deltas = deltas
    }

    /// The first piece: citations, no text.
    mutating func begin(citations: [Metachat_V1_Citation], userMessage: Metachat_V1_Message) async throws {
        var piece = Metachat_V1_ConversationEvent.ReplyDelta()
        piece.citations = citations
        await self.live(piece)
        if let deltas {
            var delta = self.delta()
            delta.citations = citations
            delta.userMessage = userMessage
            try await deltas(delta)
        }
        self.sequence += 1
    }

    /// A piece of text.
    mutating func text(_ text: String) async throws {
        var piece = Metachat_V1_ConversationEvent.ReplyDelta()
        piece.textDelta = text
        await self.live(piece)
        if let deltas {
            var delta = self.delta()
            delta.textDelta = text
            try await deltas(delta)
        }
        self.sequence += 1
    }

    /// Tells the watchers generation finished.
    mutating func end() async {
        guard !self.ended else { return }
        self.ended = true
        var piece = Metachat_V1_ConversationEvent.ReplyDelta()
        piece.isFinal = true
        // The caller's final delta shares this number.
        await self.live(piece)
    }

    /// Tells the watchers generation failed (nothing is stored).
    mutating func fail(_ message: String) async {
        guard !self.ended else { return }
        self.ended = true
        var piece = Metachat_V1_ConversationEvent.ReplyDelta()
        piece.isFinal = true
        piece.errorMessage = message
        await self.live(piece)
    }

    /// The caller's final delta.
    func final(_ reply: Metachat_V1_ChatReply) async throws {
        guard let deltas else { return }
        var delta = Self.finalDelta(reply, sequence: self.sequence)
        delta.messageID = self.messageID
        try await deltas(delta)
    }

    /// The final delta of `reply`.
    static func finalDelta(_ reply: Metachat_V1_ChatReply, sequence: Int32) -> Metachat_V1_ChatReplyDelta {
        var delta = Metachat_V1_ChatReplyDelta()
        delta.conversationID = reply.conversationID
        delta.messageID = reply.message.id
        delta.sequence = sequence
        delta.isFinal = true
        delta.citations = reply.citations
        if reply.hasMessage { delta.message = reply.message }
        delta.escalated = reply.escalated
        delta.confidence = reply.confidence
        delta.escalationReason = reply.escalationReason
        delta.awaitingHuman = reply.awaitingHuman
        if reply.hasUsage { delta.usage = reply.usage }
        delta.confidenceLevel = reply.confidenceLevel
        delta.escalationAction = reply.escalationAction
        delta.replayed = reply.replayed
        return delta
    }

    private func delta() -> Metachat_V1_ChatReplyDelta {
        var delta = Metachat_V1_ChatReplyDelta()
        delta.conversationID = self.conversationID
        delta.messageID = self.messageID
        delta.sequence = self.sequence
        return delta
    }

    private func live(_ piece: Metachat_V1_ConversationEvent.ReplyDelta) async {
        var piece = piece
        piece.messageID = self.messageID
        piece.sequence = self.sequence
        await self.sink.live(
            Metachat_V1_ConversationEvent(
                id: nil, tenantID: self.tenantID.lowercasedString, conversationID: self.conversationID,
                payload: .replyDelta(piece)),
            tenantID: self.tenantID)
    }
}
