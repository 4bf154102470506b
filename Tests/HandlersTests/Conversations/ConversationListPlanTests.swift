import Foundation
import MetaChatAPI
import Storage
import SwiftProtobuf
import Testing

@testable import Handlers

/// The statements behind ListConversations and ListMessages against real PostgreSQL holding
/// 100,000 conversations and 1,000,000 messages of 50 tenants, statistics gathered by `ANALYZE`:
/// each filter reads along an index that starts with the tenant, never a sequential scan.
/// `METACHAT_SHOW_PLANS=1` prints the plans (docs/conversations.md quotes them).
@Suite("Conversation listing plans at 1M messages", .serialized)
struct ConversationListPlanTests {
    static let tenant = UUID(uuidString: "00000000-0000-4000-8000-000000000007") ?? UUID()
    static let conversation = UUID(uuidString: "10000000-0000-4000-8000-000000000006") ?? UUID()

    /// 50 tenants; 100,000 conversations (2,000 per tenant, statuses, channels, users, assignees and
    /// review flags spread over them); 10 messages each.
    static let fill = """
        INSERT INTO tenants (id, name)
        SELECT ('00000000-0000-4000-8000-' || lpad(t::text, 12, '0'))::uuid, 'plan ' || t FROM generate_series(1, 50) t;
        INSERT INTO conversations (tenant_id, id, channel_type, channel_id, external_user_id, status, assignee_id,
                                   created_at, updated_at, needs_review, message_count)
        SELECT ('00000000-0000-4000-8000-' || lpad((1 + c % 50)::text, 12, '0'))::uuid,
               ('10000000-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid,
               CASE c % 3 WHEN 0 THEN 'API' WHEN 1 THEN 'WHATSAPP' ELSE 'WEB_CHAT' END,
               CASE WHEN c % 3 = 1 THEN ('20000000-0000-4000-8000-' || lpad((c % 4)::text, 12, '0'))::uuid END,
               'user-' || (c % 5000),
               CASE WHEN c % 10 = 0 THEN 'ASSIGNED_TO_HUMAN' WHEN c % 10 = 1 THEN 'AWAITING_HUMAN'
                    WHEN c % 10 < 5 THEN 'RESOLVED' ELSE 'OPEN' END,
               CASE WHEN c % 10 = 0 THEN 'agent-' || (c % 7) END,
               now() - (c || ' seconds')::interval, now() - (c || ' seconds')::interval, c % 97 = 0, 10
        FROM generate_series(1, 100000) c;
        INSERT INTO messages (tenant_id, conversation_id, event_id, role, text, created_at)
        SELECT ('00000000-0000-4000-8000-' || lpad((1 + c % 50)::text, 12, '0'))::uuid,
               ('10000000-0000-4000-8000-' || lpad(c::text, 12, '0'))::uuid,
               c * 10 + m, CASE m % 2 WHEN 0 THEN 'USER' ELSE 'ASSISTANT' END,
               'message ' || m || ' about order ' || (c * 10 + m) % 100003,
               now() - ((c * 10 + m) || ' seconds')::interval
        FROM generate_series(1, 100000) c, generate_series(1, 10) m;
        """

    /// A listing request, its expected index, and whether its result is bounded by the page.
    struct Listing: Sendable {
        var name: String
        var index: String
        var configure: @Sendable (inout Metachat_V1_ListConversationsRequest) -> Void
        var cursor: (Int64, UUID)? = nil
    }

    static let listings: [Listing] = [
        Listing(name: "newest first", index: "conversations_updated_idx") { _ in },
        Listing(
            name: "next page", index: "conversations_updated_idx", configure: { _ in },
            cursor: (1_700_000_000_000_000, conversation)),
        Listing(name: "one status", index: "conversations_status_updated_idx") { $0.status = [.awaitingHuman] },
        Listing(name: "several statuses", index: "conversations_") { $0.status = [.awaitingHuman, .assignedToHuman] },
        Listing(name: "assignee", index: "conversations_assignee_idx") { $0.assigneeID = "agent-3" },
        Listing(name: "end user", index: "conversations_user_idx") { $0.externalUserID = "user-6" },
        Listing(name: "channel", index: "conversations_channel_idx") {
            $0.channelID = "20000000-0000-4000-8000-000000000001"
        },
        Listing(name: "needs review", index: "conversations_review_idx") {
            $0.needsReview = Google_Protobuf_BoolValue(true)
        },
        Listing(name: "created range", index: "conversations_") {
            $0.createdAfter = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(-3_000))
        },
        Listing(name: "updated range", index: "conversations_") {
            $0.updatedBefore = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(-90_000))
        },
        Listing(name: "text search", index: "messages_") { $0.query = "order 4206" },
    ]

    @Test("Every ListConversations filter and both ListMessages directions are index scans by tenant")
    func plans() async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            try await pool.withAdminTransaction { connection in
                // A million rows outlast the pool's 30 s statement timeout on a busy machine.
                try await connection.execute(PostgresQuery(unsafeSQL: "SET LOCAL statement_timeout = 0"))
                for statement in Self.fill.split(separator: ";\n") {
                    try await connection.execute(PostgresQuery(unsafeSQL: String(statement)))
                }
            }
            try await pool.execute("ANALYZE conversations")
            try await pool.execute("ANALYZE messages")
            var plans: [(String, String)] = []
            for listing in Self.listings {
                var request = Metachat_V1_ListConversationsRequest()
                listing.configure(&request)
                let query = try ConversationListFilter(request).query(
                    tenantID: Self.tenant, after: listing.cursor.map { (micros: $0.0, id: $0.1) }, limit: 51)
                let plan = try await Self.explain(query, in: pool)
                plans.append((listing.name, plan))
                #expect(!plan.contains("Seq Scan"), "\(listing.name):\n\(plan)")
                #expect(plan.contains(listing.index), "\(listing.name):\n\(plan)")
                #expect(plan.contains("tenant_id = '\(Self.tenant.uuidString.lowercased())'::uuid"), "\(listing.name)")
            }
            for newestFirst in [false, true] {
                let query = ConversationStore.messagesQuery(
                    tenantID: Self.tenant, conversationID: Self.conversation, after: newestFirst ? nil : 0,
                    newestFirst: newestFirst, limit: 51)
                let plan = try await Self.explain(query, in: pool)
                plans.append(("messages, \(newestFirst ? "newest" : "oldest") first", plan))
                #expect(!plan.contains("Seq Scan") && !plan.contains("Sort"), "\(plan)")
                #expect(plan.contains("messages_position_idx"), "\(plan)")
            }
            if ProcessInfo.processInfo.environment["METACHAT_SHOW_PLANS"] == "1" {
                for (name, plan) in plans {
                    print("-- \(name)\n\(plan)\n")
                }
            }
        }
    }

    static func explain(_ query: PostgresQuery, in pool: PostgresPool) async throws -> String {
        try await pool.withTenantTransaction(tenantID: Self.tenant) { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "EXPLAIN (COSTS OFF) " + query.sql, binds: query.binds)
            ).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
    }
}
