internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf
internal import Synchronization

/// One `ChatService.ChannelSession` call: a gateway process serving a channel.
///
/// The first envelope must be `hello` naming an enabled channel of the tenant (otherwise the call
/// ends with `INVALID_ARGUMENT`, `NOT_FOUND` or `FAILED_PRECONDITION`); the session then holds the
/// channel (``ChannelGatewayHold``: a newer session takes it over and this one ends with
/// `ABORTED`) and answers `welcome`. After that:
/// - an inbound message is stored and answered through the ``ChatOrchestrator`` like a Meta
///   callback (same conversation lookup, same idempotency key, same dedupe table), acknowledged
///   once stored with the conversation and message ids (`duplicate` when its
///   `externalMessageId` was seen before); up to ``ChannelGatewayConfiguration/answersInFlight`` at
///   once;
/// - queued replies of the channel (assistant answers, agent replies) are pushed as `message`
///   envelopes, in order, and marked sent to the gateway once written; the gateway's receipts set
///   their delivery status;
/// - a heartbeat is answered at once; a session silent for three heartbeat intervals ends with
///   `UNAVAILABLE`;
/// - a bad envelope gets a `SessionError` naming the field, and the session goes on.
///
/// One task writes every outbound envelope (the pump); the reader and the answers hand theirs
/// over through a bounded buffer.
struct ChannelGatewaySession: Sendable {
    let pool: PostgresPool
    let orchestrator: ChatOrchestrator
    let configuration: ChannelGatewayConfiguration

    /// The most envelopes waiting for the pump; a gateway that does not read its stream (and
    /// keeps sending) ends with `RESOURCE_EXHAUSTED` instead of growing the buffer.
    static let maximumWaiting = 1000

    /// Runs the session until the gateway closes its side, the call fails, or it is ended.
    func run(
        tenantID: UUID, requests: RPCAsyncSequence<Metachat_V1_ChannelInbound>,
        responses: RPCWriter<Metachat_V1_ChannelOutbound>
    ) async throws {
        let state = SessionState()
        let (wake, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (opened, open) = AsyncStream.makeStream(of: Opened.self, bufferingPolicy: .bufferingNewest(1))
        defer {
            waker.finish()
            open.finish()
        }
        var hold: ChannelGatewayHold?
        do {
            try await withThrowingTaskGroup(of: Part.self) { group in
                group.addTask {
                    try await self.read(requests, tenantID: tenantID, state: state, waker: waker, open: open)
                    return .reader
                }
                group.addTask {
                    var iterator = opened.makeAsyncIterator()
                    guard let session = await iterator.next() else { return .pump }
                    try await self.pump(session, responses: responses, state: state, wake: wake, waker: waker)
                    return .pump
                }
                for try await part in group {
                    switch part {
                    case .reader:
                        // The gateway closed its side: what is waiting is written, then the call ends.
                        state.close()
                        waker.yield()
                        open.finish()
                    case .pump:
                        group.cancelAll()
                    }
                }
            }
            hold = state.hold
        } catch {
            await state.hold?.release()
            throw error
        }
        await hold?.release()
    }

    /// The parts of a session that run as tasks.
    private enum Part: Sendable {
        case reader
        case pump
    }

    /// What the reader tells the pump once the hello is accepted.
    private struct Opened: Sendable {
        var hold: ChannelGatewayHold
        var channel: ChannelRow
    }

    // MARK: Reading

    private func read(
        _ requests: RPCAsyncSequence<Metachat_V1_ChannelInbound>, tenantID: UUID, state: SessionState,
        waker: AsyncStream<Void>.Continuation, open: AsyncStream<Opened>.Continuation
    ) async throws {
        var iterator = requests.makeAsyncIterator()
        guard let first = try await iterator.next() else { return }
        guard case .hello(let hello)? = first.kind else {
            throw RPCError(code: .invalidArgument, message: "The first envelope must be hello.")
        }
        try ChannelGatewayEnvelopeRules.envelopeID(first, required: false)
        let channelID = try ChannelGatewayEnvelopeRules.hello(hello)
        let channel = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await ChannelStore(connection: connection, tenantID: tenantID, publicBaseURL: "").find(channelID)
        }
        guard let channel else {
            throw RPCError(code: .notFound, message: "Channel \(channelID.lowercasedString) not found.")
        }
        guard channel.enabled else {
            throw RPCError(
                code: .failedPrecondition, message: "Channel \(channelID.lowercasedString) is disabled.")
        }
        guard channel.type != .webChat else {
            throw RPCError(
                code: .failedPrecondition,
                message: "Channel \(channelID.lowercasedString) is a web chat: the widget serves it, not a gateway.")
        }
        let hold = ChannelGatewayHold(
            pool: self.pool, tenantID: tenantID, channelID: channelID, sessionID: UUID(),
            length: self.configuration.heartbeatInterval * 3)
        try await hold.take()
        state.held(hold)
        var welcome = Metachat_V1_ChannelOutbound.Welcome()
        welcome.sessionID = hold.sessionID.lowercasedString
        welcome.channelID = channelID.lowercasedString
        welcome.channelType = channel.type
        var interval = Google_Protobuf_Duration()
        interval.seconds = self.configuration.heartbeatInterval.components.seconds
        interval.nanos = Int32(self.configuration.heartbeatInterval.components.attoseconds / 1_000_000_000)
        welcome.heartbeatInterval = interval
        try state.send(.welcome(welcome))
        open.yield(Opened(hold: hold, channel: channel))
        waker.yield()

        try await withThrowingTaskGroup(of: Void.self) { answers in
            var running = 0
            while let envelope = try await iterator.next() {
                state.heard()
                do {
                    let referred: Bool
                    switch envelope.kind {
                    case .message, .receipt: referred = true
                    default: referred = false
                    }
                    try ChannelGatewayEnvelopeRules.envelopeID(envelope, required: referred)
                } catch let error as RPCError {
                    try state.send(.error(Self.sessionError(envelope.envelopeID, error)))
                    waker.yield()
                    continue
                }
                switch envelope.kind {
                case .message(let message):
                    do {
                        try ChannelGatewayEnvelopeRules.message(message)
                    } catch let error as RPCError {
                        try state.send(.error(Self.sessionError(envelope.envelopeID, error)))
                        waker.yield()
                        continue
                    }
                    if running >= self.configuration.answersInFlight {
                        try await answers.next()
                        running -= 1
                    }
                    running += 1
                    answers.addTask {
                        await self.answer(
                            message, envelopeID: envelope.envelopeID, channel: channel, state: state, waker: waker)
                    }
                case .receipt(let receipt):
                    await self.apply(receipt, envelopeID: envelope.envelopeID, channel: channel, state: state)
                case .heartbeat:
                    var beat = Metachat_V1_ChannelOutbound.Heartbeat()
                    beat.sentAt = Google_Protobuf_Timestamp(date: Date())
                    try state.send(.heartbeat(beat))
                case .hello:
                    try state.send(
                        .error(
                            Self.sessionError(
                                envelope.envelopeID,
                                RPCError(code: .failedPrecondition, message: "hello was already sent on this session")))
                    )
                case nil:
                    try state.send(
                        .error(
                            Self.sessionError(
                                envelope.envelopeID,
                                TenantFieldViolation.error(
                                    "kind", "must be one of hello, message, receipt or heartbeat"))))
                }
                waker.yield()
            }
            try await answers.waitForAll()
        }
    }

    /// Stores and answers one inbound message; its acknowledgement (or error) goes to the gateway,
    /// and the answer waits in the channel's queue for the pump.
    private func answer(
        _ message: Metachat_V1_ChannelInbound.InboundMessage, envelopeID: String, channel: ChannelRow,
        state: SessionState, waker: AsyncStream<Void>.Continuation
    ) async {
        defer { waker.yield() }
        let tenantID = channel.tenantID
        do {
            let seen = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                try await connection.query(
                    """
                    SELECT conversation_id, message_id FROM channel_inbound_messages
                    WHERE tenant_id = \(tenantID) AND channel_id = \(channel.id)
                      AND external_message_id = \(message.externalMessageID)
                    """
                ).first.map {
                    (try $0.decode("conversation_id", as: UUID?.self), try $0.decode("message_id", as: UUID?.self))
                }
            }
            if let (conversationID, messageID) = seen {
                try? state.send(
                    .ack(
                        Self.ack(
                            envelopeID, conversationID: conversationID?.lowercasedString ?? "",
                            messageID: messageID?.lowercasedString ?? "", duplicate: true)))
                return
            }
            let conversationID = try await ChannelInboundProcessor.openConversation(
                pool: self.pool, channel: channel, user: message.externalUserID)
            let key = ChannelInboundProcessor.idempotencyKey(
                channelID: channel.id, externalMessageID: message.externalMessageID)
            var metadata = message.metadata
            if !message.userDisplayName.isEmpty, metadata["user_display_name"] == nil, metadata.count < 32 {
                metadata["user_display_name"] = message.userDisplayName
            }
            let input = ChatOrchestrator.Input(
                tenantID: tenantID, conversationID: conversationID,
                channelType: ChannelFieldRules.storedName(channel.type), channelID: channel.id,
                externalUserID: message.externalUserID, text: message.text, metadata: metadata, idempotencyKey: key,
                requestHash: Digest.hex(Digest.sha256(Array(key.utf8))))
            let acked = Mutex(false)
            do {
                let reply = try await self.orchestrator.answer(input) { delta in
                    // The first delta carries the stored user message, before the model answers.
                    guard delta.hasUserMessage, !acked.withLock({ $0 }) else { return }
                    acked.withLock { $0 = true }
                    let duplicate = try await self.remember(
                        message.externalMessageID, channel: channel, conversationID: delta.conversationID,
                        messageID: delta.userMessage.id)
                    try? state.send(
                        .ack(
                            Self.ack(
                                envelopeID, conversationID: delta.conversationID, messageID: delta.userMessage.id,
                                duplicate: duplicate)))
                    waker.yield()
                }
                if !acked.withLock({ $0 }) {
                    let duplicate = try await self.remember(
                        message.externalMessageID, channel: channel, conversationID: reply.conversationID,
                        messageID: reply.userMessage.id)
                    try? state.send(
                        .ack(
                            Self.ack(
                                envelopeID, conversationID: reply.conversationID, messageID: reply.userMessage.id,
                                duplicate: duplicate || reply.replayed)))
                }
            } catch {
                // Not answered: a resend is answered then (the orchestrator's idempotency key keeps
                // the stored user message single).
                if acked.withLock({ $0 }) { await self.forget(message.externalMessageID, channel: channel) }
                throw error
            }
        } catch {
            Self.report(error, envelopeID: envelopeID, what: "message", to: state)
        }
    }

    /// Records a platform message id as filed (the dedupe table the Meta callbacks share);
    /// whether it was already there.
    private func remember(
        _ externalMessageID: String, channel: ChannelRow, conversationID: String, messageID: String
    ) async throws -> Bool {
        let tenantID = channel.tenantID
        let conversation = UUID(canonicalText: conversationID)
        let message = UUID(canonicalText: messageID)
        return try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await connection.query(
                """
                INSERT INTO channel_inbound_messages (tenant_id, channel_id, external_message_id, conversation_id,
                    message_id)
                VALUES (\(tenantID), \(channel.id), \(externalMessageID), \(conversation), \(message))
                ON CONFLICT DO NOTHING RETURNING 1
                """
            ).isEmpty
        }
    }

    /// Takes a platform message id out of the dedupe table again (its answer failed).
    private func forget(_ externalMessageID: String, channel: ChannelRow) async {
        let tenantID = channel.tenantID
        _ = try? await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await connection.execute(
                """
                DELETE FROM channel_inbound_messages
                WHERE tenant_id = \(tenantID) AND channel_id = \(channel.id)
                  AND external_message_id = \(externalMessageID)
                """)
        }
    }

    /// Applies a delivery receipt to a message of one of the channel's conversations.
    private func apply(
        _ receipt: Metachat_V1_ChannelInbound.DeliveryReceipt, envelopeID: String, channel: ChannelRow,
        state: SessionState
    ) async {
        do {
            let messageID = try ChannelGatewayEnvelopeRules.receipt(receipt)
            let tenantID = channel.tenantID
            let ours = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                try await connection.query(
                    """
                    SELECT 1 FROM messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
                    WHERE m.tenant_id = \(tenantID) AND m.id = \(messageID) AND c.channel_id = \(channel.id)
                      AND m.role <> 'USER'
                    """
                ).isEmpty == false
            }
            guard ours else {
                throw RPCError(
                    code: .notFound,
                    message:
                        "receipt.messageId \(messageID.lowercasedString) is not an outbound message of this channel")
            }
            _ = try await self.orchestrator.ledger.updateDelivery(
                tenantID: tenantID, messageID: messageID, status: receipt.status,
                error: receipt.status == .failed ? receipt.errorMessage : "",
                externalMessageID: receipt.externalMessageID, forwardOnly: true)
        } catch {
            Self.report(error, envelopeID: envelopeID, what: "receipt", to: state)
        }
    }

    // MARK: Writing

    /// The only writer: sends what the reader and the answers left, renews the hold, checks the
    /// gateway is alive, and pushes the channel's queued replies; woken by them and every poll.
    private func pump(
        _ session: Opened, responses: RPCWriter<Metachat_V1_ChannelOutbound>, state: SessionState,
        wake: AsyncStream<Void>, waker: AsyncStream<Void>.Continuation
    ) async throws {
        var iterator = wake.makeAsyncIterator()
        var lastPoll = ContinuousClock.now - self.configuration.pollInterval
        while true {
            try await responses.write(contentsOf: try state.take())
            if state.isClosed { return }
            let now = ContinuousClock.now
            if now - lastPoll >= self.configuration.pollInterval {
                lastPoll = now
                guard try await session.hold.renew() else {
                    throw RPCError(
                        code: .aborted,
                        message:
                            "A newer session took over channel \(session.channel.id.lowercasedString), or it was disabled or deleted."
                    )
                }
                if now - state.lastHeard > self.configuration.heartbeatInterval * 3 {
                    throw RPCError(
                        code: .unavailable,
                        message:
                            "No envelope for three heartbeat intervals (\(self.configuration.heartbeatInterval * 3)).")
                }
            }
            while try await self.pushReplies(session.channel, responses: responses) == self.configuration.outboundBatch
            {}
            let timer = Task {
                try? await Task.sleep(for: self.configuration.pollInterval)
                waker.yield()
            }
            let woken: Void? = await iterator.next()
            timer.cancel()
            if woken == nil { return }
        }
    }

    /// Pushes up to a batch of the channel's queued replies, oldest first, and marks them sent to
    /// the gateway once written (a session that dies before its commit leaves them queued: they
    /// are pushed again, with the same message ids). How many were pushed.
    private func pushReplies(_ channel: ChannelRow, responses: RPCWriter<Metachat_V1_ChannelOutbound>) async throws
        -> Int
    {
        let tenantID = channel.tenantID
        return try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
            let rows = try await connection.query(
                """
                SELECT o.id, o.conversation_id, o.message_id, c.external_user_id FROM channel_outbox o
                JOIN conversations c ON c.tenant_id = o.tenant_id AND c.id = o.conversation_id
                WHERE o.tenant_id = \(tenantID) AND o.channel_id = \(channel.id) AND o.status = 'PENDING'
                ORDER BY o.id LIMIT \(Int64(self.configuration.outboundBatch))
                FOR UPDATE OF o SKIP LOCKED
                """)
            guard !rows.isEmpty else { return 0 }
            let store = ConversationStore(connection: connection, tenantID: tenantID)
            var sent: [Int64] = []
            for row in rows {
                let messageID: UUID = try row.decode("message_id")
                guard let message = try await store.message(messageID) else { continue }
                var outbound = Metachat_V1_ChannelOutbound.OutboundMessage()
                outbound.conversationID = try row.decode("conversation_id", as: UUID.self).lowercasedString
                outbound.externalUserID = try row.decode("external_user_id")
                outbound.message = message.message
                var envelope = Metachat_V1_ChannelOutbound()
                envelope.envelopeID = UUID().lowercasedString
                envelope.kind = .message(outbound)
                try await responses.write(envelope)
                sent.append(try row.decode("id"))
            }
            let sentLiteral = "{" + sent.map(String.init).joined(separator: ",") + "}"
            _ = try await connection.execute(
                """
                UPDATE channel_outbox SET status = 'SENT', attempts = attempts + 1, last_error = NULL
                WHERE tenant_id = \(tenantID) AND id = ANY (\(sentLiteral)::text::int8[])
                """)
            return rows.count
        }
    }

    // MARK: Envelopes

    private static func ack(_ envelopeID: String, conversationID: String, messageID: String, duplicate: Bool)
        -> Metachat_V1_ChannelOutbound.InboundAck
    {
        var ack = Metachat_V1_ChannelOutbound.InboundAck()
        ack.envelopeID = envelopeID
        ack.conversationID = conversationID
        ack.messageID = messageID
        ack.duplicate = duplicate
        return ack
    }

    /// Tells the gateway why an envelope was not taken: an `RPCError` as it is, anything else
    /// (the database) as `UNAVAILABLE`, to be sent again.
    private static func report(_ error: any Error, envelopeID: String, what: String, to state: SessionState) {
        let reported =
            error as? RPCError
            ?? RPCError(code: .unavailable, message: "The \(what) could not be stored; send it again.")
        try? state.send(.error(Self.sessionError(envelopeID, reported)))
    }

    private static func sessionError(_ envelopeID: String, _ error: RPCError)
        -> Metachat_V1_ChannelOutbound.SessionError
    {
        var sessionError = Metachat_V1_ChannelOutbound.SessionError()
        sessionError.envelopeID = String(envelopeID.prefix(128))
        sessionError.status = error.code.name
        sessionError.message = error.message
        return sessionError
    }
}

/// What the session's tasks share: the envelopes waiting for the pump, when the gateway was last
/// heard, the hold, and whether the gateway closed its side.
private final class SessionState: Sendable {
    private struct Shared {
        var waiting: [Metachat_V1_ChannelOutbound] = []
        var lastHeard = ContinuousClock.now
        var hold: ChannelGatewayHold?
        var closed = false
        var overflowed = false
    }

    private let shared = Mutex(Shared())

    /// Queues an envelope for the pump.
    func send(_ kind: Metachat_V1_ChannelOutbound.OneOf_Kind) throws {
        var envelope = Metachat_V1_ChannelOutbound()
        envelope.envelopeID = UUID().lowercasedString
        envelope.kind = kind
        try self.shared.withLock { shared in
            guard shared.waiting.count < ChannelGatewaySession.maximumWaiting else {
                shared.overflowed = true
                throw Self.overflow
            }
            shared.waiting.append(envelope)
        }
    }

    /// Everything queued, removed; throws once the buffer overflowed.
    func take() throws -> [Metachat_V1_ChannelOutbound] {
        try self.shared.withLock { shared in
            if shared.overflowed { throw Self.overflow }
            defer { shared.waiting.removeAll(keepingCapacity: true) }
            return shared.waiting
        }
    }

    private static let overflow = RPCError(
        code: .resourceExhausted,
        message:
            "More than \(ChannelGatewaySession.maximumWaiting) envelopes wait to be read: read the stream while sending."
    )

    func heard() { self.shared.withLock { $0.lastHeard = .now } }
    var lastHeard: ContinuousClock.Instant { self.shared.withLock { $0.lastHeard } }

    func held(_ hold: ChannelGatewayHold) { self.shared.withLock { $0.hold = hold } }
    var hold: ChannelGatewayHold? { self.shared.withLock { $0.hold } }

    func close() { self.shared.withLock { $0.closed = true } }
    var isClosed: Bool { self.shared.withLock { $0.closed } }
}
