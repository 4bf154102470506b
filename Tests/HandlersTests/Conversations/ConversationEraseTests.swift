import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("ConversationService erasure", .serialized)
struct ConversationEraseTests {
    typealias Harness = ConversationTestHarness

    /// Rows of every table of the test's schema whose text form contains `needle`, by table
    /// (any column: ids, JSON, text; the serialized events too, read as escaped bytes).
    static func rowsMentioning(_ needle: String, in pool: PostgresPool) async throws -> [String: Int] {
        try await pool.withAdminTransaction { connection in
            let tables = try await connection.query(
                """
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name
                """
            ).map { try $0.decode("table_name", as: String.self) }
            var found: [String: Int] = [:]
            for table in tables {
                // Table names come from the catalog; the needle is a bind parameter.
                let count = try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "SELECT count(*) AS n FROM \(table) t WHERE strpos(t::text, $1) > 0"
                            + (table == "conversation_events" ? " OR strpos(encode(t.payload, 'escape'), $1) > 0" : ""),
                        binds: [.text(needle)])
                )[0].decode("n", as: Int.self)
                if count > 0 { found[table] = count }
            }
            return found
        }
    }

    @Test("After DeleteConversation no row of it remains in any table but the audit entry recording the erasure")
    func eraseLeavesNothing() async throws {
        try await Harness.with { h in
            let keep = try await h.create(user: "keep")
            try await h.reply(keep.id, text: "kept reply")
            let c = try await h.create(user: "forget-me") {
                $0.channelType = .whatsapp
                $0.channelID = UUID().uuidString.lowercased()
                $0.metadata = ["ref": "ticket-9"]
            }
            try await h.userMessage(c.id, text: "secret words")
            let reply = try await h.reply(c.id, text: "an answer", key: "erase-key")
            _ = try await h.ledger.updateDelivery(
                tenantID: UUID(uuidString: h.tenantA)!, messageID: UUID(uuidString: reply.id)!, status: .delivered)
            var escalate = Metachat_V1_EscalateConversationRequest()
            escalate.conversationID = c.id
            escalate.reason = .manual
            var handBack = Metachat_V1_HandBackConversationRequest()
            handBack.conversationID = c.id
            _ = try await h.handler.handBackConversation(request: handBack, context: h.asA)
            _ = try await h.handler.escalateConversation(request: escalate, context: h.asA)
            #expect(
                try await Self.rowsMentioning(c.id, in: h.pool).keys.sorted() == [
                    "channel_outbox", "conversation_events", "conversations", "messages", "outbox_events",
                ])

            var delete = Metachat_V1_DeleteConversationRequest()
            delete.conversationID = c.id
            let answer = try await h.handler.deleteConversation(request: delete, context: h.asA)

            #expect(answer.conversationID == c.id && answer.deletedMessages == 2 && answer.deletedEvents >= 8)
            #expect(try await Self.rowsMentioning(c.id, in: h.pool) == ["audit_log": 1])
            #expect(try await Self.rowsMentioning("secret words", in: h.pool).isEmpty)
            #expect(try await Self.rowsMentioning("ticket-9", in: h.pool).isEmpty)
            #expect(try await Self.rowsMentioning("forget-me", in: h.pool).isEmpty)
            #expect(try await h.audit(h.tenantA).map(\.action) == ["conversation.deleted"])
            #expect(h.events.live.map(\.kind) == [.conversationDeleted])
            #expect(h.events.live.first?.conversationID == c.id && h.events.live.first?.eventID == "")
            // The other conversation is untouched, and the erased one is gone for every method.
            #expect(try await h.get(keep.id).messageCount == 1)
            await expectRPCError(.notFound) { try await h.get(c.id) }
            await expectRPCError(.notFound) { try await h.handler.deleteConversation(request: delete, context: h.asA) }
        }
    }
}
