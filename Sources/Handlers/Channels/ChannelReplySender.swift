internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// Sends the messages queued in `channel_outbox` (assistant answers, agent replies) through the
/// Graph API: WhatsApp `POST /{version}/{phone-number-id}/messages`, Messenger
/// `POST /{version}/{page-id}/messages` with `messaging_type: RESPONSE`.
///
/// A row is claimed with `FOR UPDATE SKIP LOCKED` and its lock held while it is sent, so two
/// workers never send one row, and a worker that dies mid-send releases it at once (a new worker
/// then sends it again: the only case where Meta may get a reply twice is a crash after Meta
/// accepted it and before `SENT` was committed). After the send the row is `SENT` in the same
/// transaction; the message's delivery status, its platform id and the channel's health follow.
///
/// Several senders run at once (``ChannelWorkerConfiguration/senders``); a row is taken only when
/// no earlier row of its conversation is still pending (being sent, or waiting for a retry), so
/// each conversation's replies leave in order while other conversations' go on.
///
/// A channel held by a gateway session (`ChatService.ChannelSession`) is left to it: its replies
/// go to the gateway while the hold lasts.
///
/// Outside the 24-hour customer-service window (no user message in the conversation within
/// ``ChannelWorkerConfiguration/replyWindow``) a free-form reply is refused: the message is
/// FAILED with the reason, nothing is sent. Rate limits, 5xx and transport failures are retried
/// with backoff; an invalid token (190) and other client errors fail the message for good and show
/// in the channel's health.
struct ChannelReplySender: Sendable {
    let pool: PostgresPool
    let ledger: ConversationLedger
    let sealing: ChannelSecretSealing
    let graph: any GraphAPITransport
    let configuration: ChannelWorkerConfiguration

    /// What became of one outbox row.
    enum Outcome: Sendable {
        case sent(externalID: String)
        /// Try again later: after the backoff, or after `after` when Meta asked for a longer wait.
        case retry(String, after: Duration? = nil)
        case failed(String, channelError: Bool)
    }

    /// A claimed row with what sending it needs.
    private struct Job: Sendable {
        var id: Int64
        var tenantID: UUID
        var channelID: UUID
        var messageID: UUID
        var attempts: Int
        var text: String
        var recipient: String
        var withinWindow: Bool
    }

    /// Sends the oldest due row, if any; whether one was due.
    func sendNext() async throws -> Bool {
        let windowSeconds = Int64(self.configuration.replyWindow / .seconds(1))
        let result: (Job, Outcome)? = try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT o.id, o.tenant_id, o.channel_id, o.message_id, o.attempts, m.text, c.external_user_id,
                    EXISTS (SELECT 1 FROM messages u WHERE u.tenant_id = o.tenant_id
                        AND u.conversation_id = o.conversation_id AND u.role = 'USER'
                        AND u.created_at > now() - \(windowSeconds) * interval '1 second') AS within_window
                FROM channel_outbox o
                JOIN messages m ON m.tenant_id = o.tenant_id AND m.id = o.message_id
                JOIN conversations c ON c.tenant_id = o.tenant_id AND c.id = o.conversation_id
                WHERE o.status = 'PENDING' AND o.next_attempt_at <= now()
                    AND NOT EXISTS (SELECT 1 FROM channel_outbox p WHERE p.tenant_id = o.tenant_id
                        AND p.conversation_id = o.conversation_id AND p.status = 'PENDING' AND p.id < o.id)
                    AND NOT EXISTS (SELECT 1 FROM channels g WHERE g.tenant_id = o.tenant_id AND g.id = o.channel_id
                        AND g.gateway_session_until > now())
                ORDER BY o.next_attempt_at, o.id LIMIT 1
                FOR UPDATE OF o SKIP LOCKED
                """)
            guard let row = rows.first else { return nil }
            let job = Job(
                id: try row.decode("id"), tenantID: try row.decode("tenant_id"),
                channelID: try row.decode("channel_id"),
                messageID: try row.decode("message_id"), attempts: try row.decode("attempts", as: Int.self) + 1,
                text: try row.decode("text"), recipient: try row.decode("external_user_id"),
                withinWindow: try row.decode("within_window"))
            let channel = try await connection.query(
                "SELECT \(unescaped: ChannelRow.columns) FROM channels WHERE tenant_id = \(job.tenantID) AND id = \(job.channelID)"
            ).first.map { try ChannelRow($0, publicBaseURL: "") }
            let outcome = await self.send(job, channel: channel)
            let giveUp: Bool
            switch outcome {
            case .sent: giveUp = false
            case .retry: giveUp = job.attempts >= self.configuration.maximumAttempts
            case .failed: giveUp = true
            }
            var wait = self.configuration.retryDelay(afterAttempts: job.attempts)
            if case .retry(_, let after?) = outcome { wait = max(wait, after) }
            let delay = Int64(wait / .milliseconds(1))
            let status =
                switch outcome {
                case .sent: "SENT"
                default: giveUp ? "DEAD" : "PENDING"
                }
            let error: String? =
                switch outcome {
                case .sent: nil
                case .retry(let text, _), .failed(let text, _): text
                }
            _ = try await connection.execute(
                """
                UPDATE channel_outbox SET status = \(status), attempts = \(Int64(job.attempts)),
                    last_error = left(\(error)::text, 1000),
                    next_attempt_at = now() + \(delay) * interval '1 millisecond'
                WHERE id = \(job.id)
                """)
            if giveUp, case .retry(let text, _) = outcome {
                return (job, Outcome.failed("gave up after \(job.attempts) attempts: \(text)", channelError: true))
            }
            return (job, outcome)
        }
        guard let (job, outcome) = result else { return false }
        await self.record(outcome, of: job)
        return true
    }

    /// Sends one job (no database work).
    private func send(_ job: Job, channel: ChannelRow?) async -> Outcome {
        guard let channel else { return .failed("the channel was deleted", channelError: false) }
        guard channel.enabled else { return .failed("the channel is disabled", channelError: false) }
        guard job.withinWindow else {
            return .failed(
                "outside the 24-hour customer service window: the user has not written in 24 hours, so only a"
                    + " template message may be sent", channelError: false)
        }
        guard let stored = channel.sealed(.accessToken),
            let token = try? self.sealing.open(stored, channelID: channel.id, .accessToken)
        else {
            return .failed("the channel's access token cannot be opened (SECRETS_ENCRYPTION_KEY)", channelError: true)
        }
        let path: String
        let bytes: [UInt8]
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        do {
            switch channel.type {
            case .whatsapp:
                path = "\(channel.channel.whatsapp.phoneNumberID)/messages"
                bytes = Array(try encoder.encode(GraphTextMessage.whatsApp(to: job.recipient, text: job.text)))
            default:
                path = "\(channel.channel.messenger.pageID)/messages"
                bytes = Array(try encoder.encode(GraphTextMessage.messenger(to: job.recipient, text: job.text)))
            }
        } catch {
            return .failed("the message could not be encoded", channelError: false)
        }
        let response: GraphAPIResponse
        do {
            response = try await self.graph.send(method: "POST", path: path, accessToken: token, body: bytes)
        } catch {
            return .retry("Graph API unreachable: \(error)")
        }
        if (200..<300).contains(response.statusCode) {
            let answer = try? ChannelInboundProcessor.snakeCaseDecoder().decode(
                SendAnswer.self, from: Data(response.body))
            return .sent(externalID: answer?.messages?.first?.id ?? answer?.messageId ?? "")
        }
        let error = GraphAPIError(statusCode: response.statusCode, body: response.body)
        if error.isRetryable { return .retry(error.description, after: response.retryAfter) }
        return .failed(error.description, channelError: true)
    }

    /// What a send answers: WhatsApp `{"messages": [{"id"}]}`, Messenger `{"message_id"}`.
    private struct SendAnswer: Decodable {
        struct Sent: Decodable {
            var id: String?
        }

        var messages: [Sent]?
        var messageId: String?
    }

    /// Records the outcome in the channel's health, then on the message (delivery status and
    /// event): whoever sees the message's new status finds the channel's health up to date.
    private func record(_ outcome: Outcome, of job: Job) async {
        switch outcome {
        case .sent(let externalID):
            await self.health(job, error: nil, isSend: true)
            _ = try? await self.ledger.updateDelivery(
                tenantID: job.tenantID, messageID: job.messageID, status: .sent,
                externalMessageID: String(externalID.prefix(256)))
        case .retry(let text, _):
            await self.health(job, error: text, isSend: false)
        case .failed(let text, let channelError):
            if channelError { await self.health(job, error: text, isSend: false) }
            _ = try? await self.ledger.updateDelivery(
                tenantID: job.tenantID, messageID: job.messageID, status: .failed, error: String(text.prefix(1000)))
        }
    }

    private func health(_ job: Job, error: String?, isSend: Bool) async {
        _ = try? await self.pool.withTenantTransaction(tenantID: job.tenantID) { connection in
            try await ChannelStore(connection: connection, tenantID: job.tenantID, publicBaseURL: "").recordOutcome(
                job.channelID, error: error, isSend: isSend)
        }
    }
}
