internal import FoundationEssentials
internal import Storage

/// Writes events into `outbox_events` inside the transaction of the change they describe, and
/// wakes the relays (`NOTIFY outbox`, delivered by PostgreSQL only if the transaction commits).
struct OutboxWriter {
    /// The notification channel the relays listen on.
    static let channel = "outbox"

    /// The connection, inside the change's transaction.
    let connection: PostgresConnection

    /// Stores `events` (one statement) and notifies the relays; nothing for an empty list.
    func append(_ events: [OutboxEvent]) async throws {
        guard !events.isEmpty else { return }
        // One round trip: the insert runs as a data-modifying CTE beside the notification.
        var sql = "WITH stored AS (INSERT INTO outbox_events (id, tenant_id, event_type, body, conversation_id) VALUES "
        var binds: [PostgresValue?] = []
        binds.reserveCapacity(events.count * 5)
        for (index, event) in events.enumerated() {
            binds += [
                .uuid(event.id), .uuid(event.tenantID), .text(event.type.wireName), .text(event.body),
                event.conversationID.map(PostgresValue.uuid),
            ]
            let base = index * 5
            sql +=
                (index == 0 ? "" : ", ")
                + "($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5))"
        }
        sql += ") SELECT pg_notify('outbox', '')"
        // The SQL is built from constant text and parameter numbers only.
        _ = try await self.connection.query(PostgresQuery(unsafeSQL: sql, binds: binds))
    }
}
