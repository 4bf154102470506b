internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// The idempotency keys of ChatService calls (`chat_requests`, docs/orchestrator.md): a call
/// with a key claims it; a repeat replays the stored reply, or waits while the first call still
/// runs; a different request under the same key is `ALREADY_EXISTS`; a failed call's key is
/// taken over by the next try. Keys are forgotten after 24 hours.
struct ChatRequestLedger: Sendable {
    /// What claiming a key found.
    enum Claim: Sendable {
        /// This call owns the key; continue in this conversation if the key already named one.
        case owned(conversationID: UUID?)
        /// The stored reply of an earlier call.
        case replay(Metachat_V1_ChatReply)
        /// Another call holds the key right now.
        case busy
    }

    let pool: PostgresPool
    /// After this long a PENDING claim counts as abandoned (its server died) and is taken over.
    let staleAfter: Duration

    /// The hash that tells two requests under one key apart: SHA-256 over the fields that define
    /// the request, each length-prefixed.
    static func hash(_ request: Metachat_V1_SendMessageRequest) -> String {
        var bytes: [UInt8] = []
        func add(_ text: String) {
            let utf8 = Array(text.utf8)
            bytes += Array(String(utf8.count).utf8) + [0x3A] + utf8
        }
        add(request.conversationID)
        add(String(request.channelType.rawValue))
        add(request.channelID)
        add(request.externalUserID)
        add(request.text)
        for key in request.metadata.keys.sorted() {
            add(key)
            add(request.metadata[key] ?? "")
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        return String(decoding: Digest.sha256(bytes).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// Claims `key` for a request with `hash`.
    ///
    /// - Throws: `ALREADY_EXISTS` when the key was used for a different request.
    func claim(tenantID: UUID, key: String, hash: String) async throws -> Claim {
        let staleSeconds = Double(self.staleAfter.components.seconds)
        return try await self.transaction(tenantID) { connection in
            _ = try await connection.query(
                """
                DELETE FROM chat_requests WHERE tenant_id = \(tenantID) AND created_at < now() - interval '24 hours'
                """)
            let inserted = try await connection.query(
                """
                INSERT INTO chat_requests (tenant_id, idempotency_key, request_hash)
                VALUES (\(tenantID), \(key), \(hash))
                ON CONFLICT DO NOTHING RETURNING idempotency_key
                """)
            if !inserted.isEmpty { return .owned(conversationID: nil) }
            let rows = try await connection.query(
                """
                SELECT request_hash, status, conversation_id, reply::text AS reply,
                    claimed_at < now() - make_interval(secs => \(staleSeconds)) AS stale
                FROM chat_requests WHERE tenant_id = \(tenantID) AND idempotency_key = \(key) FOR UPDATE
                """)
            guard let row = rows.first else { return .busy }
            guard try row.decode("request_hash", as: String.self) == hash else {
                throw RPCError(
                    code: .alreadyExists,
                    message: "idempotencyKey was already used for a different message (within the last 24 hours).")
            }
            let conversationID = try row.decode("conversation_id", as: UUID?.self)
            switch try row.decode("status", as: String.self) {
            case "DONE":
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = true
                var reply = try Metachat_V1_ChatReply(
                    jsonString: try row.decode("reply", as: String?.self) ?? "{}", options: options)
                reply.replayed = true
                return .replay(reply)
            case "PENDING" where try !row.decode("stale", as: Bool.self):
                return .busy
            default:
                _ = try await connection.query(
                    """
                    UPDATE chat_requests SET status = 'PENDING', error = NULL, claimed_at = now()
                    WHERE tenant_id = \(tenantID) AND idempotency_key = \(key)
                    """)
                return .owned(conversationID: conversationID)
            }
        }
    }

    /// Records the conversation an owned claim runs in.
    func attach(tenantID: UUID, key: String, conversationID: UUID) async throws {
        try await self.transaction(tenantID) { connection in
            _ = try await connection.query(
                """
                UPDATE chat_requests SET conversation_id = \(conversationID)
                WHERE tenant_id = \(tenantID) AND idempotency_key = \(key)
                """)
        }
    }

    /// Stores the reply of an owned claim.
    func complete(tenantID: UUID, key: String, reply: Metachat_V1_ChatReply) async throws {
        let json = try reply.jsonString()
        try await self.transaction(tenantID) { connection in
            _ = try await connection.query(
                """
                UPDATE chat_requests SET status = 'DONE', reply = \(PostgresValue.jsonb(json)), error = NULL
                WHERE tenant_id = \(tenantID) AND idempotency_key = \(key)
                """)
        }
    }

    /// Marks an owned claim failed, so a retry takes it over; runs even when the caller was
    /// cancelled.
    func fail(tenantID: UUID, key: String, error: String) async {
        let pool = self.pool
        let task = Task {
            try await pool.withTenantTransaction(tenantID: tenantID) { connection in
                _ = try await connection.query(
                    """
                    UPDATE chat_requests SET status = 'FAILED', error = \(String(error.prefix(1000)))
                    WHERE tenant_id = \(tenantID) AND idempotency_key = \(key) AND status = 'PENDING'
                    """)
            }
        }
        _ = try? await task.value
    }

    private func transaction<Result: Sendable>(
        _ tenantID: UUID, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                try await body(connection)
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }
}
