internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// Reads stored conversation events and a tenant's event counter from PostgreSQL, in
/// transactions scoped to the tenant.
struct ConversationEventReader: Sendable {
    /// Where a tenant's event log stands.
    struct Position: Sendable, Hashable {
        /// The latest id handed out (0: none yet).
        var lastEventID: Int64
        /// Events up to this id were pruned (retention).
        var prunedThrough: Int64
    }

    let pool: PostgresPool

    /// Up to `limit` events of a tenant after `id` (of one conversation when given), oldest first.
    func events(tenantID: UUID, conversationID: UUID? = nil, after id: Int64, limit: Int) async throws
        -> [Metachat_V1_ConversationEvent]
    {
        let query: PostgresQuery =
            if let conversationID {
                """
                SELECT payload FROM conversation_events
                WHERE tenant_id = \(tenantID) AND conversation_id = \(conversationID) AND id > \(id)
                ORDER BY id LIMIT \(limit)
                """
            } else {
                """
                SELECT payload FROM conversation_events WHERE tenant_id = \(tenantID) AND id > \(id)
                ORDER BY id LIMIT \(limit)
                """
            }
        let rows = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await connection.query(query)
        }
        return try rows.map {
            try Metachat_V1_ConversationEvent(serializedBytes: try $0.decode("payload", as: [UInt8].self))
        }
    }

    /// Where the tenant's log stands, and whether the conversation exists when one is named.
    func position(tenantID: UUID, conversationID: UUID?) async throws -> (Position, conversationExists: Bool) {
        let row = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
            try await connection.query(
                """
                SELECT coalesce((SELECT last_event_id FROM conversation_event_counters WHERE tenant_id = \(tenantID)), 0)
                           AS last_event_id,
                       coalesce((SELECT pruned_through FROM conversation_event_counters WHERE tenant_id = \(tenantID)), 0)
                           AS pruned_through,
                       \(conversationID)::uuid IS NULL
                           OR EXISTS (SELECT 1 FROM conversations WHERE tenant_id = \(tenantID) AND id = \(conversationID))
                           AS found
                """
            )[0]
        }
        return (
            Position(
                lastEventID: try row.decode("last_event_id", as: Int64.self),
                prunedThrough: try row.decode("pruned_through", as: Int64.self)),
            try row.decode("found", as: Bool.self)
        )
    }

    /// The latest event id of each tenant that has one, for polling.
    func latestIDs(of tenantIDs: [UUID]) async throws -> [UUID: Int64] {
        guard !tenantIDs.isEmpty else { return [:] }
        // A text array literal of UUIDs (hex digits and dashes only), cast by the server.
        let list = "{" + tenantIDs.map { $0.lowercasedString }.joined(separator: ",") + "}"
        let rows = try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                SELECT tenant_id, last_event_id FROM conversation_event_counters
                WHERE tenant_id = ANY(\(PostgresValue.unknown(list))::uuid[])
                """
            )
        }
        var latest: [UUID: Int64] = [:]
        for row in rows {
            latest[try row.decode("tenant_id", as: UUID.self)] = try row.decode("last_event_id", as: Int64.self)
        }
        return latest
    }
}
