internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// Hands out a tenant's event ids and stores its durable events, inside the transaction of the
/// change that causes them.
///
/// ``reserve(_:)`` bumps the tenant's row of `conversation_event_counters`; the transaction then
/// holds that row's lock until it ends, so the tenant's writers commit one after another in id
/// order: once id N is visible, every id below it is too (or was never committed), which is what
/// lets a watcher resume after N without gaps. Changes lock their conversation first and the
/// counter second, always in that order, so two writers never wait for each other in a cycle.
struct ConversationEventLog {
    /// The connection, inside the change's transaction.
    let connection: PostgresConnection
    /// The tenant.
    let tenantID: UUID

    /// Reserves `count` consecutive ids (creating the tenant's counter on first use).
    ///
    /// - Returns: The first reserved id; the others follow it.
    func reserve(_ count: Int) async throws -> Int64 {
        precondition(count > 0, "reserve at least one id")
        let rows = try await self.connection.query(
            """
            INSERT INTO conversation_event_counters AS c (tenant_id, last_event_id) VALUES (\(self.tenantID), \(count))
            ON CONFLICT (tenant_id) DO UPDATE SET last_event_id = c.last_event_id + excluded.last_event_id
            RETURNING last_event_id
            """
        )
        return try rows[0].decode("last_event_id", as: Int64.self) - Int64(count) + 1
    }

    /// Stores events whose `event_id` is set, in one statement, and beside them their outbox
    /// events (webhooks, RabbitMQ), in the same transaction.
    func append(_ events: [Metachat_V1_ConversationEvent]) async throws {
        guard !events.isEmpty else { return }
        try await OutboxWriter(connection: self.connection).append(
            try events.compactMap { try OutboxEvent(conversationEvent: $0, tenantID: self.tenantID) })
        var sql = "INSERT INTO conversation_events (tenant_id, id, conversation_id, kind, payload, occurred_at) VALUES "
        var binds: [PostgresValue?] = []
        for (index, event) in events.enumerated() {
            guard let id = event.sequenceNumber, let conversationID = UUID(canonicalText: event.conversationID) else {
                preconditionFailure("a durable event needs an event id and a conversation")
            }
            let payload: [UInt8] = try event.serializedBytes()
            binds += [
                .uuid(self.tenantID), .int64(id), .uuid(conversationID), .text(event.kind.storedName),
                .bytea(payload), .timestamp(event.occurredAt.date),
            ]
            let base = index * 6
            sql +=
                (index == 0 ? "" : ", ")
                + "($\(base + 1), $\(base + 2), $\(base + 3), $\(base + 4), $\(base + 5), $\(base + 6))"
        }
        try await self.connection.execute(PostgresQuery(unsafeSQL: sql, binds: binds))
    }

    /// The latest id handed out to the tenant; 0 when none was.
    func lastEventID() async throws -> Int64 {
        let rows = try await self.connection.query(
            "SELECT last_event_id FROM conversation_event_counters WHERE tenant_id = \(self.tenantID)")
        return try rows.first?.decode("last_event_id", as: Int64.self) ?? 0
    }
}
