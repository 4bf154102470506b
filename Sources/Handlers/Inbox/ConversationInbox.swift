package import FoundationEssentials
internal import RPCServer
package import Storage

/// The agents' inbox over a tenant's conversations that still need an answer (OPEN,
/// AWAITING_HUMAN, ASSIGNED_TO_HUMAN): how many each view holds, and a view's conversations,
/// longest waiting first.
///
/// Callers decide who may read which tenant (the dashboard checks its session first); reads run
/// in the tenant's row-level-security scope.
package struct ConversationInbox: Sendable {
    /// A view of the inbox.
    package enum View: String, Sendable, CaseIterable {
        /// ASSIGNED_TO_HUMAN to the agent asking.
        case mine
        /// AWAITING_HUMAN: escalated, nobody took it.
        case awaitingHuman = "awaiting"
        /// Every conversation still open (OPEN, AWAITING_HUMAN, ASSIGNED_TO_HUMAN).
        case all
        /// OPEN: the assistant answers.
        case aiHandled = "ai"
    }

    /// How many conversations each view holds, and the tenant's latest event id when counted.
    package struct Counts: Sendable, Hashable {
        /// ASSIGNED_TO_HUMAN to the agent asking.
        package var mine: Int
        /// AWAITING_HUMAN.
        package var awaitingHuman: Int
        /// Still open in any way.
        package var all: Int
        /// OPEN.
        package var aiHandled: Int
        /// The tenant's latest durable event id, read in the same snapshot as the counts:
        /// watching after it misses nothing that changed them.
        package var lastEventID: Int64

        /// The count of `view`.
        package subscript(view: View) -> Int {
            switch view {
            case .mine: self.mine
            case .awaitingHuman: self.awaitingHuman
            case .all: self.all
            case .aiHandled: self.aiHandled
            }
        }
    }

    /// One conversation of a view.
    package struct Item: Sendable, Hashable {
        /// The conversation's id.
        package var id: UUID
        /// Its title (may be empty).
        package var title: String
        /// The end user.
        package var externalUserID: String
        /// The stored channel type name, e.g. `WHATSAPP`.
        package var channelType: String
        /// The stored status name, e.g. `AWAITING_HUMAN`.
        package var status: String
        /// The agent holding it, if assigned.
        package var assigneeID: String?
        /// How many messages it has.
        package var messageCount: Int
        /// Seconds since the last message (or since creation without one).
        package var waitingSeconds: Int
        /// Whether an answer asked for review.
        package var needsReview: Bool
    }

    private let pool: PostgresPool

    /// Creates the inbox.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The size of every view for `agentID`.
    package func counts(tenantID: UUID, agentID: String) async throws -> Counts {
        try await self.read(tenantID) { connection in
            let rows = try await connection.query(
                """
                SELECT
                  count(*) FILTER (WHERE status = 'ASSIGNED_TO_HUMAN' AND assignee_id = \(agentID))::int8 AS mine,
                  count(*) FILTER (WHERE status = 'AWAITING_HUMAN')::int8 AS awaiting,
                  count(*)::int8 AS all_open,
                  count(*) FILTER (WHERE status = 'OPEN')::int8 AS ai,
                  coalesce((SELECT last_event_id FROM conversation_event_counters WHERE tenant_id = \(tenantID)), 0)
                    AS last_event_id
                FROM conversations
                WHERE tenant_id = \(tenantID) AND status IN ('OPEN', 'AWAITING_HUMAN', 'ASSIGNED_TO_HUMAN')
                """
            )
            return Counts(
                mine: try rows[0].decode("mine"), awaitingHuman: try rows[0].decode("awaiting"),
                all: try rows[0].decode("all_open"), aiHandled: try rows[0].decode("ai"),
                lastEventID: try rows[0].decode("last_event_id"))
        }
    }

    /// Up to `limit` (1–500) conversations of `view`, longest waiting first (oldest last message).
    package func items(tenantID: UUID, view: View, agentID: String, limit: Int) async throws -> [Item] {
        let limit = min(max(limit, 1), 500)
        return try await self.read(tenantID) { connection in
            let rows: PostgresRows
            switch view {
            case .mine:
                rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM conversations
                    WHERE tenant_id = \(tenantID) AND status = 'ASSIGNED_TO_HUMAN' AND assignee_id = \(agentID)
                    ORDER BY coalesce(last_message_at, created_at), id LIMIT \(limit)
                    """)
            case .awaitingHuman:
                rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM conversations
                    WHERE tenant_id = \(tenantID) AND status = 'AWAITING_HUMAN'
                    ORDER BY coalesce(last_message_at, created_at), id LIMIT \(limit)
                    """)
            case .all:
                rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM conversations
                    WHERE tenant_id = \(tenantID) AND status IN ('OPEN', 'AWAITING_HUMAN', 'ASSIGNED_TO_HUMAN')
                    ORDER BY coalesce(last_message_at, created_at), id LIMIT \(limit)
                    """)
            case .aiHandled:
                rows = try await connection.query(
                    """
                    SELECT \(unescaped: Self.columns) FROM conversations
                    WHERE tenant_id = \(tenantID) AND status = 'OPEN'
                    ORDER BY coalesce(last_message_at, created_at), id LIMIT \(limit)
                    """)
            }
            return try rows.map { row in
                Item(
                    id: try row.decode("id"), title: try row.decode("title"),
                    externalUserID: try row.decode("external_user_id"), channelType: try row.decode("channel_type"),
                    status: try row.decode("status"), assigneeID: try row.decode("assignee_id"),
                    messageCount: try row.decode("message_count"), waitingSeconds: try row.decode("waiting_seconds"),
                    needsReview: try row.decode("needs_review"))
            }
        }
    }

    private static let columns: StaticString = """
        id, title, external_user_id, channel_type, status, assignee_id, message_count::int8 AS message_count,
        greatest(0, extract(epoch FROM now() - coalesce(last_message_at, created_at)))::int8 AS waiting_seconds,
        needs_review
        """

    private func read<Result: Sendable>(
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
