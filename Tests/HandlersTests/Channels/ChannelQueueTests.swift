import Foundation
import MetaChatAPI
import Storage
import Testing

@testable import Handlers

/// The channel worker's queues on their own (no worker running): callbacks claimed fairly across
/// tenants, and replies leaving each conversation in order while others go on.
@Suite("Channel queues", .serialized)
struct ChannelQueueTests {
    typealias Harness = ChannelTestHarness

    /// Stores `count` callbacks of `channel`, received `age` seconds ago onwards.
    static func storeCallbacks(_ h: Harness, tenant: String, channel: String, count: Int, age: Int) async throws {
        let tenantID = try #require(UUID(uuidString: tenant))
        let channelID = try #require(UUID(uuidString: channel))
        try await h.pool.withAdminTransaction { connection in
            for n in 0..<count {
                try await connection.execute(
                    """
                    INSERT INTO channel_inbound (tenant_id, channel_id, body, next_attempt_at)
                    VALUES ($1, $2, '\\x7b7d', now() - ($3 - $4) * interval '1 second')
                    """, [.uuid(tenantID), .uuid(channelID), .int32(Int32(age)), .int32(Int32(n))])
            }
        }
    }

    @Test(
        "A burst of one tenant's callbacks never queues another tenant's behind it; each tenant gets at most its share",
        arguments: ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"]
    )
    func fairClaims(start: String) async throws {
        try await Harness.with { h in
            let channelA = try await h.create(Harness.whatsAppRequest())
            let channelB = try await h.create(Harness.whatsAppRequest(), context: h.asB)
            // Tenant A's 20 arrived first; tenant B's one after them.
            try await Self.storeCallbacks(h, tenant: h.tenantA, channel: channelA.id, count: 20, age: 600)
            try await Self.storeCallbacks(h, tenant: h.tenantB, channel: channelB.id, count: 1, age: 60)
            var configuration = ChannelWorkerConfiguration.defaults
            configuration.concurrencyPerTenant = 4
            let queue = ChannelInboundQueue(pool: h.pool, configuration: configuration)
            let tenantA = try #require(UUID(uuidString: h.tenantA))
            let tenantB = try #require(UUID(uuidString: h.tenantB))
            let begin = try #require(UUID(uuidString: start))

            let first = try await queue.claim(limit: 16, start: begin)
            let byTenant = Dictionary(grouping: first, by: \.tenantID).mapValues(\.count)
            #expect(byTenant == [tenantA: 4, tenantB: 1])
            // Tenant A's oldest four, in order.
            let oldest = try await h.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT id FROM channel_inbound WHERE tenant_id = $1 ORDER BY id LIMIT 4", [.uuid(tenantA)]
                ).map { try $0.decode(0, as: Int64.self) }
            }
            #expect(first.filter { $0.tenantID == tenantA }.map(\.id) == oldest)
            #expect(first.allSatisfy { $0.attempts == 1 })

            // With tenant A's share in flight, nothing more of it; one slot left takes one more.
            #expect(try await queue.claim(limit: 16, held: [tenantA: 4, tenantB: 1], start: begin).isEmpty)
            let more = try await queue.claim(limit: 16, held: [tenantA: 3, tenantB: 1], start: begin)
            #expect(more.count == 1 && more.first?.tenantID == tenantA)
            #expect(Set(more.map(\.id)).isDisjoint(with: first.map(\.id)))
        }
    }

    @Test("A reply waits while an earlier reply of its conversation is pending; another conversation's goes meanwhile")
    func repliesInOrder() async throws {
        try await Harness.with { h in
            let channel = try await h.create(Harness.whatsAppRequest())
            let tenantID = try #require(UUID(uuidString: h.tenantA))
            let channelID = try #require(UUID(uuidString: channel.id))
            let (x, y) = (UUID(), UUID())
            // Conversation x: "first" waits for its retry, "second" is due. Conversation y: "other" is due.
            var outbox: [String: Int64] = [:]
            try await h.pool.withAdminTransaction { connection in
                for (conversation, user) in [(x, "15550001"), (y, "15550002")] {
                    try await connection.execute(
                        """
                        INSERT INTO conversations (tenant_id, id, channel_type, channel_id, external_user_id, message_count)
                        VALUES ($1, $2, 'WHATSAPP', $3, $4, 0)
                        """, [.uuid(tenantID), .uuid(conversation), .uuid(channelID), .text(user)])
                }
                let replies: [(UUID, String, Int)] = [(x, "first", 60), (x, "second", 0), (y, "other", 0)]
                for (index, (conversation, text, delay)) in ([(x, "hello", 0)] + [(y, "hi", 0)] + replies).enumerated()
                {
                    let role = index < 2 ? "USER" : "ASSISTANT"
                    let message = try await connection.query(
                        """
                        INSERT INTO messages (tenant_id, conversation_id, event_id, role, text)
                        VALUES ($1, $2, $3, $4, $5) RETURNING id
                        """,
                        [.uuid(tenantID), .uuid(conversation), .int64(Int64(index + 1)), .text(role), .text(text)]
                    )[0].decode(0, as: UUID.self)
                    guard role == "ASSISTANT" else { continue }
                    outbox[text] = try await connection.query(
                        """
                        INSERT INTO channel_outbox (tenant_id, channel_id, conversation_id, message_id, attempts,
                            next_attempt_at)
                        VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second') RETURNING id
                        """,
                        [
                            .uuid(tenantID), .uuid(channelID), .uuid(conversation), .uuid(message),
                            .int32(delay > 0 ? 1 : 0), .int32(Int32(delay)),
                        ]
                    )[0].decode(0, as: Int64.self)
                }
            }
            let sender = ChannelReplySender(
                pool: h.pool, ledger: ConversationLedger(pool: h.pool),
                sealing: ChannelSecretSealing(envelope: .forTests), graph: h.graph,
                configuration: .defaults)
            func sentTexts() -> [String] {
                h.graph.received.compactMap { request in
                    ["first", "second", "other"].first { request.body?.contains("\"\($0)\"") == true }
                }
            }

            #expect(try await sender.sendNext())
            #expect(sentTexts() == ["other"])
            // "second" stays behind "first", which is not due yet.
            #expect(try await sender.sendNext() == false)

            try await h.pool.withAdminTransaction { connection in
                try await connection.execute(
                    "UPDATE channel_outbox SET next_attempt_at = now() WHERE id = $1", [.int64(outbox["first"] ?? 0)])
            }
            #expect(try await sender.sendNext())
            #expect(try await sender.sendNext())
            #expect(try await sender.sendNext() == false)
            #expect(sentTexts() == ["other", "first", "second"])
        }
    }

    @Test("A throttled reply waits as long as Meta asks, not the shorter backoff")
    func throttledReplyWaits() async throws {
        try await Harness.with { h in
            let channel = try await h.create(Harness.whatsAppRequest())
            let tenantID = try #require(UUID(uuidString: h.tenantA))
            let channelID = try #require(UUID(uuidString: channel.id))
            let conversation = UUID()
            let outboxID = try await h.pool.withAdminTransaction { connection in
                try await connection.execute(
                    """
                    INSERT INTO conversations (tenant_id, id, channel_type, channel_id, external_user_id, message_count)
                    VALUES ($1, $2, 'WHATSAPP', $3, '15550001', 0)
                    """, [.uuid(tenantID), .uuid(conversation), .uuid(channelID)])
                var message = UUID()
                for (index, role) in ["USER", "ASSISTANT"].enumerated() {
                    message = try await connection.query(
                        """
                        INSERT INTO messages (tenant_id, conversation_id, event_id, role, text)
                        VALUES ($1, $2, $3, $4, 'text') RETURNING id
                        """, [.uuid(tenantID), .uuid(conversation), .int64(Int64(index + 1)), .text(role)]
                    )[0].decode(0, as: UUID.self)
                }
                return try await connection.query(
                    """
                    INSERT INTO channel_outbox (tenant_id, channel_id, conversation_id, message_id)
                    VALUES ($1, $2, $3, $4) RETURNING id
                    """, [.uuid(tenantID), .uuid(channelID), .uuid(conversation), .uuid(message)]
                )[0].decode(0, as: Int64.self)
            }
            h.graph.answer { _ in
                GraphAPIResponse(
                    statusCode: 429, body: Array(#"{"error":{"message":"Rate limit hit","code":130429}}"#.utf8),
                    retryAfter: .seconds(900))
            }
            let sender = ChannelReplySender(
                pool: h.pool, ledger: ConversationLedger(pool: h.pool),
                sealing: ChannelSecretSealing(envelope: .forTests), graph: h.graph, configuration: .defaults)
            #expect(try await sender.sendNext())
            let (status, wait) = try await h.pool.withAdminTransaction { connection in
                let row = try await connection.query(
                    """
                    SELECT status, extract(epoch FROM next_attempt_at - now())::float8 AS wait
                    FROM channel_outbox WHERE id = $1
                    """, [.int64(outboxID)])[0]
                return (try row.decode("status", as: String.self), try row.decode("wait", as: Double.self))
            }
            #expect(status == "PENDING")
            // The backoff after a first failure is about a second; Meta asked for 15 minutes.
            #expect(wait > 890 && wait <= 900)
        }
    }
}
