internal import FoundationEssentials
internal import MetaChatAPI
internal import MetaWebhooks
internal import RPCServer
internal import Storage

/// Turns one stored Meta callback into conversation changes: each user message becomes a USER
/// message answered by the ``ChatOrchestrator`` (whose ASSISTANT answer the ledger queues for the
/// channel), each delivery receipt a delivery status with its `message_delivery_updated` event.
///
/// Redeliveries make nothing new: a platform message id already in `channel_inbound_messages` is
/// skipped, and the orchestrator call carries an idempotency key made from the channel and that
/// id, so even a callback processed twice at once (two workers, a crash mid-answer) stores one
/// message and calls the model once.
struct ChannelInboundProcessor: Sendable {
    let pool: PostgresPool
    let orchestrator: ChatOrchestrator
    let ledger: ConversationLedger
    let sealing: ChannelSecretSealing
    let graph: any GraphAPITransport

    /// What processing a callback ended in.
    enum Failure: Error {
        /// Worth trying again later (the database, the model, the Graph API).
        case retryable(String)
        /// Trying again cannot help (a body that does not read).
        case final(String)
    }

    /// Processes a claimed callback.
    func process(_ claim: ChannelInboundQueue.Claim) async throws(Failure) {
        let payload: MetaPayload
        do {
            payload = try MetaPayload(bytes: claim.body)
        } catch {
            throw .final(error.description)
        }
        let channel: ChannelRow?
        do {
            channel = try await self.pool.withTenantTransaction(tenantID: claim.tenantID) { connection in
                // The channel's health: when its latest callback arrived.
                _ = try await connection.execute(
                    """
                    UPDATE channels SET last_inbound_at = \(claim.receivedAt)
                    WHERE tenant_id = \(claim.tenantID) AND id = \(claim.channelID)
                      AND (last_inbound_at IS NULL OR last_inbound_at < \(claim.receivedAt))
                    """)
                return try await ChannelStore(connection: connection, tenantID: claim.tenantID, publicBaseURL: "")
                    .find(claim.channelID)
            }
        } catch {
            throw .retryable("the channel could not be read")
        }
        // A deleted channel's callbacks are dropped with it (the foreign key removes them too).
        guard let channel, channel.enabled else { return }
        for event in payload.events {
            switch event {
            case .message(let message): try await self.receive(message, channel: channel)
            case .status(let status): try await self.apply(status, channel: channel)
            case .skipped: continue
            }
        }
    }

    // MARK: Messages

    private func receive(_ message: MetaInboundMessage, channel: ChannelRow) async throws(Failure) {
        let tenantID = channel.tenantID
        do {
            let seen = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                try await connection.query(
                    """
                    SELECT 1 FROM channel_inbound_messages
                    WHERE tenant_id = \(tenantID) AND channel_id = \(channel.id)
                      AND external_message_id = \(message.externalID)
                    """
                ).isEmpty == false
            }
            if seen { return }
        } catch {
            throw .retryable("the dedupe table could not be read")
        }
        if channel.type == .messenger {
            await self.showTyping(to: message.from, channel: channel)
        }
        var media = message.media
        if channel.type == .whatsapp {
            for index in media.indices where !media[index].id.isEmpty {
                media[index] = await self.resolve(media[index], channel: channel)
            }
        }
        let conversationID: UUID?
        do {
            conversationID = try await Self.openConversation(pool: self.pool, channel: channel, user: message.from)
        } catch {
            throw .retryable("the conversation could not be read")
        }
        let key = Self.idempotencyKey(channelID: channel.id, externalMessageID: message.externalID)
        let input = ChatOrchestrator.Input(
            tenantID: tenantID, conversationID: conversationID, channelType: ChannelFieldRules.storedName(channel.type),
            channelID: channel.id, externalUserID: message.from, text: Self.text(of: message, media: media),
            metadata: Self.metadata(of: message, media: media), idempotencyKey: key,
            requestHash: Digest.hex(Digest.sha256(Array(key.utf8))))
        var answered: Metachat_V1_ChatReply?
        do {
            answered = try await self.orchestrator.answer(input)
        } catch let error as RPCError {
            switch error.code {
            case .unavailable, .internalError, .aborted, .deadlineExceeded, .cancelled:
                throw .retryable("the answer failed: \(error.message)")
            default:
                // A quota used up, a closed conversation, …: the message cannot be answered; it is
                // recorded as handled and the reason kept in the channel's health.
                await self.recordHealth(channel, error: "An inbound message was not answered: \(error.message)")
            }
        } catch {
            throw .retryable("the answer failed")
        }
        do {
            let userMessageID = answered.flatMap { UUID(canonicalText: $0.userMessage.id) }
            let replyConversation = answered.flatMap { UUID(canonicalText: $0.conversationID) }
            try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                _ = try await connection.execute(
                    """
                    INSERT INTO channel_inbound_messages (tenant_id, channel_id, external_message_id, conversation_id,
                        message_id)
                    VALUES (\(tenantID), \(channel.id), \(message.externalID), \(replyConversation), \(userMessageID))
                    ON CONFLICT DO NOTHING
                    """)
            }
        } catch {
            throw .retryable("the dedupe row could not be written")
        }
    }

    /// Messenger's typing indicator while the answer is made: best effort (a failure only means
    /// the user sees no dots).
    private func showTyping(to user: String, channel: ChannelRow) async {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        guard let stored = channel.sealed(.accessToken),
            let token = try? self.sealing.open(stored, channelID: channel.id, .accessToken),
            let body = try? encoder.encode(GraphTextMessage.messengerTyping(to: user))
        else { return }
        _ = try? await self.graph.send(
            method: "POST", path: "\(channel.channel.messenger.pageID)/messages", accessToken: token, body: Array(body))
    }

    /// The orchestrator's idempotency key for a platform message of a channel: the same however
    /// often (and through whichever face, callback or gateway session) the message arrives.
    static func idempotencyKey(channelID: UUID, externalMessageID: String) -> String {
        "channel:" + Digest.hex(Digest.sha256(Array("\(channelID.lowercasedString):\(externalMessageID)".utf8)))
    }

    /// The conversation the user's messages continue: the newest one of the channel and user that
    /// is not closed.
    static func openConversation(pool: PostgresPool, channel: ChannelRow, user: String) async throws -> UUID? {
        try await pool.withTenantTransaction(tenantID: channel.tenantID) { connection in
            try await connection.query(
                """
                SELECT id FROM conversations
                WHERE tenant_id = \(channel.tenantID) AND channel_id = \(channel.id) AND external_user_id = \(user)
                  AND status <> 'CLOSED'
                ORDER BY updated_at DESC, id DESC LIMIT 1
                """
            ).first.map { try $0.decode("id", as: UUID.self) }
        }
    }

    /// A WhatsApp media id resolved through `GET /{version}/{media-id}` to its URL, type, hash
    /// and size; unchanged when the Graph API does not answer it (the id is kept).
    private func resolve(_ media: MetaMedia, channel: ChannelRow) async -> MetaMedia {
        guard let stored = channel.sealed(.accessToken),
            let token = try? self.sealing.open(stored, channelID: channel.id, .accessToken),
            let response = try? await self.graph.send(method: "GET", path: media.id, accessToken: token, body: nil),
            response.statusCode == 200,
            let info = try? Self.snakeCaseDecoder().decode(MediaInfo.self, from: Data(response.body))
        else { return media }
        var resolved = media
        resolved.url = String((info.url ?? "").prefix(2048))
        if let type = info.mimeType, resolved.mimeType.isEmpty { resolved.mimeType = String(type.prefix(128)) }
        if let hash = info.sha256, resolved.sha256.isEmpty { resolved.sha256 = String(hash.prefix(128)) }
        return resolved
    }

    /// The Graph API's answer about a media id.
    private struct MediaInfo: Decodable {
        var url: String?
        var mimeType: String?
        var sha256: String?
    }

    /// A decoder of the Graph API's snake_case keys.
    static func snakeCaseDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// The text the conversation shows and the model answers: the message's own, or a short
    /// description of what was sent.
    static func text(of message: MetaInboundMessage, media: [MetaMedia]) -> String {
        if !message.text.isEmpty { return message.text }
        if let location = message.location {
            return "[location \(location.latitude),\(location.longitude)]"
        }
        if let first = media.first { return "[\(first.type)]" }
        if !message.payload.isEmpty { return String(message.payload.prefix(1000)) }
        return "[\(message.kind.rawValue)]"
    }

    /// What the message carries besides text, as the stored message's metadata labels.
    static func metadata(of message: MetaInboundMessage, media: [MetaMedia]) -> [String: String] {
        var labels: [String: String] = [
            "channel.messageType": message.kind.rawValue,
            "channel.externalMessageId": message.externalID,
        ]
        if !message.senderName.isEmpty { labels["channel.senderName"] = String(message.senderName.prefix(200)) }
        if !message.payload.isEmpty { labels["channel.payload"] = String(message.payload.prefix(500)) }
        if let location = message.location {
            labels["location.latitude"] = String(location.latitude)
            labels["location.longitude"] = String(location.longitude)
            if !location.name.isEmpty { labels["location.name"] = String(location.name.prefix(200)) }
            if !location.address.isEmpty { labels["location.address"] = String(location.address.prefix(500)) }
        }
        for (index, item) in media.prefix(10).enumerated() {
            let prefix = "media.\(index)."
            labels[prefix + "type"] = item.type
            if !item.id.isEmpty { labels[prefix + "id"] = item.id }
            if !item.url.isEmpty { labels[prefix + "url"] = String(item.url.prefix(500)) }
            if !item.mimeType.isEmpty { labels[prefix + "mimeType"] = item.mimeType }
            if !item.filename.isEmpty { labels[prefix + "filename"] = String(item.filename.prefix(200)) }
            if !item.sha256.isEmpty { labels[prefix + "sha256"] = item.sha256 }
        }
        return labels
    }

    // MARK: Receipts

    private func apply(_ status: MetaDeliveryStatus, channel: ChannelRow) async throws(Failure) {
        let found: UUID?
        do {
            found = try await self.pool.withTenantTransaction(tenantID: channel.tenantID) { connection in
                try await connection.query(
                    """
                    SELECT m.id FROM messages m
                    JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
                    WHERE m.tenant_id = \(channel.tenantID) AND m.external_message_id = \(status.externalID)
                      AND c.channel_id = \(channel.id)
                    LIMIT 1
                    """
                ).first.map { try $0.decode("id", as: UUID.self) }
            }
        } catch {
            throw .retryable("the message of a receipt could not be read")
        }
        // A receipt of a message sent some other way (or already pruned) changes nothing.
        guard let found else { return }
        let next: Metachat_V1_MessageDeliveryStatus =
            switch status.state {
            case .sent: .sent
            case .delivered: .delivered
            case .read: .read
            case .failed: .failed
            }
        var error = ""
        if status.state == .failed {
            error = status.errorCode.map { "WhatsApp error \($0): " } ?? ""
            error += status.errorMessage.isEmpty ? "the platform reported the message as failed" : status.errorMessage
        }
        do {
            _ = try await self.ledger.updateDelivery(
                tenantID: channel.tenantID, messageID: found, status: next, error: error, forwardOnly: true)
        } catch {
            throw .retryable("the receipt could not be recorded")
        }
    }

    private func recordHealth(_ channel: ChannelRow, error: String) async {
        _ = try? await self.pool.withTenantTransaction(tenantID: channel.tenantID) { connection in
            try await ChannelStore(connection: connection, tenantID: channel.tenantID, publicBaseURL: "").recordOutcome(
                channel.id, error: error, isSend: false)
        }
    }
}
