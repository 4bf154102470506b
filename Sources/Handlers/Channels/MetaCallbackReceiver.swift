internal import FoundationEssentials
internal import MetaChatAPI
internal import MetaWebhooks
package import Storage

/// Answers Meta's callbacks for WhatsApp and Messenger channels: the `GET` verification handshake
/// and the signed `POST` events.
///
/// A `POST` is answered 200 as soon as its body is stored in `channel_inbound` (the
/// ``ChannelWorker``s process it later, and stamp the channel's `last_inbound_at` then: an update
/// of the channel row here would make every callback of a channel wait for the one before), so
/// Meta's delivery never waits for a model. It is
/// stored only when `X-Hub-Signature-256` matches the app secret of a channel behind the URL
/// (compared in constant time) and the body reads as a callback of that channel's platform;
/// otherwise nothing is stored.
package struct MetaCallbackReceiver: Sendable {
    let pool: PostgresPool
    let sealing: ChannelSecretSealing
    private let writer: ChannelInboundWriter
    private let candidateCache: ChannelCandidateCache

    /// Creates the receiver.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - sealing: Opens the channels' verify tokens and app secrets.
    package init(pool: PostgresPool, sealing: ChannelSecretSealing) {
        self.pool = pool
        self.sealing = sealing
        self.writer = ChannelInboundWriter(pool: pool)
        self.candidateCache = ChannelCandidateCache()
    }

    /// The `GET` handshake: `hub.mode=subscribe` with the channel's verify token echoes
    /// `hub.challenge`; a wrong token or mode is 403.
    package func verify(_ target: MetaCallbackTarget, mode: String?, verifyToken: String?, challenge: String?) async
        -> MetaCallbackOutcome
    {
        let candidates: [ChannelRow]
        do {
            candidates = try await self.candidates(target)
        } catch {
            return .unavailable("The channel could not be read; try again shortly.")
        }
        guard !candidates.isEmpty else { return Self.noChannel(target) }
        guard mode == "subscribe" else { return .forbidden("hub.mode must be subscribe.") }
        guard let challenge, !challenge.isEmpty, challenge.utf8.count <= 1024,
            challenge.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else {
            return .badRequest("hub.challenge is required (1 to 1024 printable characters).")
        }
        guard let verifyToken, !verifyToken.isEmpty else { return .forbidden("hub.verify_token does not match.") }
        var matched = false
        for row in candidates {
            guard let stored = row.sealed(.verifyToken),
                let expected = try? self.sealing.open(stored, channelID: row.id, .verifyToken)
            else { continue }
            // Every candidate is compared, so the time taken does not say which one matched.
            if Secrets.constantTimeEquals(expected, verifyToken) { matched = true }
        }
        return matched ? .challenge(challenge) : .forbidden("hub.verify_token does not match.")
    }

    /// A signed `POST`: stored durably, then answered 200.
    package func receive(_ target: MetaCallbackTarget, signature: String?, body: [UInt8]) async -> MetaCallbackOutcome {
        let candidates: [ChannelRow]
        do {
            candidates = try await self.candidateCache.channels(for: target) { try await self.candidates(target) }
        } catch {
            return .unavailable("The channel could not be read; try again shortly.")
        }
        guard !candidates.isEmpty else { return Self.noChannel(target) }
        guard let mac = MetaSignature.mac(ofHeader: signature) else {
            return .unauthorized("X-Hub-Signature-256 is required: sha256= and 64 hex digits.")
        }
        var verified: [ChannelRow] = []
        for row in candidates {
            guard let stored = row.sealed(.appSecret),
                let secret = try? self.sealing.open(stored, channelID: row.id, .appSecret)
            else { continue }
            if MetaSignature.matches(mac, body: body, appSecret: secret) { verified.append(row) }
        }
        guard !verified.isEmpty else {
            return .unauthorized("X-Hub-Signature-256 does not match the channel's app secret.")
        }
        let payload: MetaPayload
        do {
            payload = try MetaPayload(bytes: body)
        } catch {
            return .badRequest("The body is not a Meta webhook callback: \(error.description).")
        }
        let expectedType = payload.platform == .whatsapp ? "WHATSAPP" : "MESSENGER"
        let ofPlatform = verified.filter { ChannelFieldRules.storedName($0.type) == expectedType }
        guard !ofPlatform.isEmpty else {
            return .badRequest("The body is a \(payload.platform.rawValue) callback, which this channel is not.")
        }
        let recipients = Set(
            payload.events.compactMap { event -> String? in
                if case .message(let message) = event { return message.recipientID }
                return nil
            })
        let channel = ofPlatform.first { recipients.contains(Self.objectID(of: $0)) } ?? ofPlatform[0]
        guard channel.enabled else { return .accepted }
        do {
            try await self.writer.store(tenantID: channel.tenantID, channelID: channel.id, body: body)
        } catch {
            return .unavailable("The event could not be stored; Meta delivers it again.")
        }
        return .accepted
    }

    /// The channel's Meta object: the WhatsApp phone number id or the Messenger page id.
    static func objectID(of row: ChannelRow) -> String {
        switch row.type {
        case .whatsapp: row.channel.whatsapp.phoneNumberID
        case .messenger: row.channel.messenger.pageID
        default: ""
        }
    }

    /// The Meta channels behind a URL (read in the admin scope: the URL carries no key).
    private func candidates(_ target: MetaCallbackTarget) async throws -> [ChannelRow] {
        let base = ""
        switch target {
        case .channel(let text):
            guard let id = UUID(canonicalText: text), text.count == 36 else { return [] }
            return try await self.pool.withAdminTransaction { connection in
                try await connection.query(
                    """
                    SELECT \(unescaped: ChannelRow.columns) FROM channels
                    WHERE id = \(id) AND type IN ('WHATSAPP', 'MESSENGER')
                    """
                ).map { try ChannelRow($0, publicBaseURL: base) }
            }
        case .integration(let platform, let tenantText):
            guard let tenantID = UUID(canonicalText: tenantText), tenantText.count == 36,
                let type = ["whatsapp": "WHATSAPP", "messenger": "MESSENGER"][platform]
            else { return [] }
            return try await self.pool.withAdminTransaction { connection in
                try await connection.query(
                    """
                    SELECT \(unescaped: ChannelRow.columns) FROM channels
                    WHERE tenant_id = \(tenantID) AND type = \(type)
                    ORDER BY created_at, id LIMIT 50
                    """
                ).map { try ChannelRow($0, publicBaseURL: base) }
            }
        }
    }

    private static func noChannel(_ target: MetaCallbackTarget) -> MetaCallbackOutcome {
        switch target {
        case .channel: .notFound("No WhatsApp or Messenger channel has this callback URL.")
        case .integration: .notFound("The tenant has no channel of this platform.")
        }
    }
}
