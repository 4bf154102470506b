internal import FoundationEssentials
internal import Storage

extension RetentionRunner {
    /// A table retention deletes from by age.
    enum ExpiringTable {
        /// `messages`, by `created_at`, archived into `messages_archive`.
        case messages
        /// `api_logs`, by `occurred_at`, archived into `api_logs_archive`.
        case apiLogs
        /// `audit_log`, by `created_at`.
        case auditLog
        /// `webhook_deliveries` that ended (succeeded, failed, dead-lettered), by `updated_at`, with
        /// their attempts; waiting and running ones stay whatever their age.
        case webhookDeliveries
        /// `chat_requests`, the chat calls' idempotency keys, by `created_at`.
        case idempotencyKeys
        /// `channel_inbound`, Meta callbacks processed (done or failed), by `received_at`; pending
        /// ones stay whatever their age.
        case channelCallbacks
        /// `channel_inbound_messages`, the platform message ids callbacks are deduplicated by, by
        /// `created_at`.
        case channelMessageIDs

        var name: String {
            switch self {
            case .messages: "messages"
            case .apiLogs: "api_logs"
            case .auditLog: "audit_log"
            case .webhookDeliveries: "webhook_deliveries"
            case .idempotencyKeys: "chat_requests"
            case .channelCallbacks: "channel_inbound"
            case .channelMessageIDs: "channel_inbound_messages"
            }
        }

        /// The column whose age decides.
        var age: String {
            switch self {
            case .apiLogs: "occurred_at"
            case .webhookDeliveries: "updated_at"
            case .channelCallbacks: "received_at"
            case .messages, .auditLog, .idempotencyKeys, .channelMessageIDs: "created_at"
            }
        }

        /// What else a row must satisfy to expire.
        var condition: String {
            switch self {
            case .webhookDeliveries: " AND status IN ('SUCCEEDED', 'FAILED', 'DEAD_LETTERED')"
            case .channelCallbacks: " AND status IN ('DONE', 'FAILED')"
            case .messages, .apiLogs, .auditLog, .idempotencyKeys, .channelMessageIDs: ""
            }
        }
    }

    /// Deletes (or counts, in a dry run) one tenant's rows of `table` older than `cutoff`, or the
    /// rows of no tenant when `tenantID` is `nil`, batch after batch until none are left.
    func expire(
        _ table: ExpiringTable, tenantID: UUID?, before cutoff: Date, archive: Bool, dryRun: Bool
    ) async throws -> RetentionTableResult {
        var result = RetentionTableResult(table: table.name)
        let scope = tenantID == nil ? "$1::uuid IS NULL AND tenant_id IS NULL" : "tenant_id = $1"
        let age = table.age
        let binds: [PostgresValue?] = [tenantID.map(PostgresValue.uuid), .timestamp(cutoff)]
        if dryRun {
            let rows = try await self.pool.withAdminTransaction { connection in
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL:
                            "SELECT count(*) AS n FROM \(table.name) WHERE \(scope) AND \(age) < $2\(table.condition)",
                        binds: binds))
            }
            let count = try rows.first?.decode("n", as: Int64.self) ?? 0
            return RetentionTableResult(
                table: table.name, examined: count, archived: archive ? count : 0, deleted: count)
        }
        let statement = Self.deleteStatement(table, scope: scope, age: age)
        while true {
            try Task.checkCancellation()
            let rows = try await self.pool.withAdminTransaction { connection in
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: statement,
                        binds: binds + [.int32(Int32(clamping: self.defaults.batchSize)), .bool(archive)]))
            }
            let deleted = try rows.first?.decode("deleted", as: Int64.self) ?? 0
            let archived = try rows.first?.decode("archived", as: Int64.self) ?? 0
            result.add(RetentionTableResult(table: table.name, examined: deleted, archived: archived, deleted: deleted))
            if deleted < Int64(self.defaults.batchSize) { return result }
            // Let the request path's queries in between batches.
            await Task.yield()
        }
    }

    /// One batch: the oldest expired rows, locked and skipped when another transaction holds
    /// them, archived when `$4`, then deleted. Messages also leave their conversation's count.
    private static func deleteStatement(_ table: ExpiringTable, scope: String, age: String) -> String {
        let key =
            switch table {
            case .messages, .webhookDeliveries: "tenant_id, id"
            case .idempotencyKeys: "tenant_id, idempotency_key"
            case .channelMessageIDs: "tenant_id, channel_id, external_message_id"
            case .apiLogs, .auditLog, .channelCallbacks: "id"
            }
        let doomed = """
            WITH doomed AS (
                SELECT \(key) FROM \(table.name)
                WHERE \(scope) AND \(age) < $2\(table.condition) ORDER BY \(age) LIMIT $3 FOR UPDATE SKIP LOCKED)
            """
        switch table {
        case .messages:
            return doomed + """
                ,
                archived AS (
                    INSERT INTO messages_archive (tenant_id, id, conversation_id, created_at, data)
                    SELECT m.tenant_id, m.id, m.conversation_id, m.created_at, to_jsonb(m) - 'search_vector'
                    FROM messages m JOIN doomed d ON m.tenant_id = d.tenant_id AND m.id = d.id
                    WHERE $4 ON CONFLICT DO NOTHING RETURNING 1),
                deleted AS (
                    DELETE FROM messages m USING doomed d WHERE m.tenant_id = d.tenant_id AND m.id = d.id
                    RETURNING m.tenant_id, m.conversation_id),
                counted AS (
                    UPDATE conversations c SET message_count = greatest(0, c.message_count - n.k)
                    FROM (SELECT tenant_id, conversation_id, count(*) AS k FROM deleted GROUP BY 1, 2) n
                    WHERE c.tenant_id = n.tenant_id AND c.id = n.conversation_id RETURNING 1)
                SELECT (SELECT count(*) FROM deleted) AS deleted, (SELECT count(*) FROM archived) AS archived,
                    (SELECT count(*) FROM counted) AS conversations
                """
        case .apiLogs:
            return doomed + """
                ,
                archived AS (
                    INSERT INTO api_logs_archive (id, tenant_id, occurred_at, data)
                    SELECT a.id, a.tenant_id, a.occurred_at, to_jsonb(a) FROM api_logs a JOIN doomed d ON a.id = d.id
                    WHERE $4 ON CONFLICT DO NOTHING RETURNING 1),
                deleted AS (DELETE FROM api_logs a USING doomed d WHERE a.id = d.id RETURNING 1)
                SELECT (SELECT count(*) FROM deleted) AS deleted, (SELECT count(*) FROM archived) AS archived
                """
        case .auditLog:
            return doomed + """
                ,
                deleted AS (DELETE FROM audit_log a USING doomed d WHERE a.id = d.id AND $4 IS NOT NULL RETURNING 1)
                SELECT (SELECT count(*) FROM deleted) AS deleted, 0::bigint AS archived
                """
        case .webhookDeliveries:
            // The attempts go with their delivery (ON DELETE CASCADE).
            return doomed + """
                ,
                deleted AS (
                    DELETE FROM webhook_deliveries w USING doomed d
                    WHERE w.tenant_id = d.tenant_id AND w.id = d.id AND $4 IS NOT NULL RETURNING 1)
                SELECT (SELECT count(*) FROM deleted) AS deleted, 0::bigint AS archived
                """
        case .idempotencyKeys:
            return doomed + """
                ,
                deleted AS (
                    DELETE FROM chat_requests r USING doomed d
                    WHERE r.tenant_id = d.tenant_id AND r.idempotency_key = d.idempotency_key AND $4 IS NOT NULL
                    RETURNING 1)
                SELECT (SELECT count(*) FROM deleted) AS deleted, 0::bigint AS archived
                """
        case .channelCallbacks:
            return doomed + """
                ,
                deleted AS (DELETE FROM channel_inbound c USING doomed d WHERE c.id = d.id AND $4 IS NOT NULL RETURNING 1)
                SELECT (SELECT count(*) FROM deleted) AS deleted, 0::bigint AS archived
                """
        case .channelMessageIDs:
            return doomed + """
                ,
                deleted AS (
                    DELETE FROM channel_inbound_messages m USING doomed d
                    WHERE m.tenant_id = d.tenant_id AND m.channel_id = d.channel_id
                        AND m.external_message_id = d.external_message_id AND $4 IS NOT NULL
                    RETURNING 1)
                SELECT (SELECT count(*) FROM deleted) AS deleted, 0::bigint AS archived
                """
        }
    }

    /// Conversation events past the stream's window, through the stream's own pruning (which
    /// records how far each tenant's events are gone, for resuming watchers).
    func expireEvents(before cutoff: Date, dryRun: Bool) async throws -> RetentionTableResult {
        if dryRun {
            let rows = try await self.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT count(*) AS n FROM conversation_events WHERE occurred_at < $1", [.timestamp(cutoff)])
            }
            let count = try rows.first?.decode("n", as: Int64.self) ?? 0
            return RetentionTableResult(table: "conversation_events", examined: count, deleted: count)
        }
        let deleted = Int64(try await self.events.prune(before: cutoff))
        return RetentionTableResult(table: "conversation_events", examined: deleted, deleted: deleted)
    }
}
