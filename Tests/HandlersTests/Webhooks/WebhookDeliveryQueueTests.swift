import Foundation
import MetaChatAPI
import Storage
import Testing

@testable import Handlers

/// The relays' queue on its own (no relay running): which due deliveries a claim takes, endpoint
/// by endpoint, and when the next one comes due.
@Suite("Webhook delivery queue", .serialized)
struct WebhookDeliveryQueueTests {
    typealias Harness = WebhookTestHarness

    /// Three endpoints of tenant A, each with `events` pending deliveries whose due times are
    /// `offsets` seconds from now, in the order the events were written; returns the endpoint ids
    /// sorted, and each endpoint's delivery ids in due order.
    static func backlog(_ h: Harness, events: Int, dueIn offsets: [Int]) async throws -> [UUID: [UUID]] {
        var endpoints: [UUID] = []
        for n in 0..<3 {
            let created = try await h.createEndpoint("https://a.example/\(n)")
            endpoints.append(try #require(UUID(uuidString: created.webhook.id)))
        }
        for n in 0..<events {
            try await h.createConversation(user: "user-\(n)")
        }
        let queue = WebhookDeliveryQueue(pool: h.pool, configuration: h.configuration)
        while try await queue.fanOut() > 0 {}
        var byEndpoint: [UUID: [UUID]] = [:]
        for endpoint in endpoints {
            let ids = try await h.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT id FROM webhook_deliveries WHERE webhook_id = \(endpoint) ORDER BY created_at, id"
                ).map { try $0.decode("id", as: UUID.self) }
            }
            #expect(ids.count == events)
            for (id, offset) in zip(ids, offsets) {
                try await h.pool.withAdminTransaction { connection in
                    _ = try await connection.execute(
                        """
                        UPDATE webhook_deliveries SET next_attempt_at = now() + \(Int32(offset)) * interval '1 second'
                        WHERE id = \(id)
                        """
                    )
                }
            }
            byEndpoint[endpoint] = ids
        }
        return byEndpoint
    }

    @Test(
        "A claim takes each endpoint's due deliveries in due order up to its room, none of a full endpoint, wherever the scan starts",
        arguments: [
            "00000000-0000-0000-0000-000000000000", "7fffffff-ffff-ffff-ffff-ffffffffffff",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
        ]
    )
    func claimPerEndpoint(start: String) async throws {
        try await Harness.with(relay: false) { h in
            // Due 3 s ago, 2 s ago, 1 s ago, now-ish, and one in an hour.
            let backlog = try await Self.backlog(h, events: 5, dueIn: [-1, -3, -2, 0, 3600])
            let endpoints = backlog.keys.sorted { $0.lowercasedString < $1.lowercasedString }
            let (full, partly, free) = (endpoints[0], endpoints[1], endpoints[2])
            let queue = WebhookDeliveryQueue(pool: h.pool, configuration: h.configuration)
            let claims = try await queue.claim(
                limit: 100, held: [full: 3, partly: 1], perEndpoint: 3, start: try #require(UUID(uuidString: start)))
            let claimed = Dictionary(grouping: claims, by: \.webhookID).mapValues { $0.map(\.id) }
            #expect(claimed[full] == nil)
            // The partly held endpoint has room for two: its two earliest due.
            #expect(Set(claimed[partly] ?? []) == [backlog[partly]![1], backlog[partly]![2]])
            // The free one: three, the earliest due first; never the one due in an hour.
            #expect(Set(claimed[free] ?? []) == [backlog[free]![1], backlog[free]![2], backlog[free]![0]])
            #expect(claims.allSatisfy { $0.attempt == 1 })
            let sending = try await h.pool.withAdminTransaction { connection in
                try await connection.query("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'SENDING'")[0]
                    .decode("n", as: Int.self)
            }
            #expect(sending == claims.count)
            // Claimed again with nothing held: what is left and due, never twice the same.
            let again = try await queue.claim(limit: 100, held: [:], perEndpoint: 3)
            #expect(Set(again.map(\.id)).isDisjoint(with: claims.map(\.id)))
            #expect(Dictionary(grouping: again, by: \.webhookID).mapValues(\.count) == [full: 3, partly: 2, free: 1])
        }
    }

    @Test("A claim stops at its limit")
    func claimLimit() async throws {
        try await Harness.with(relay: false) { h in
            _ = try await Self.backlog(h, events: 4, dueIn: [-4, -3, -2, -1])
            let queue = WebhookDeliveryQueue(pool: h.pool, configuration: h.configuration)
            let claims = try await queue.claim(limit: 5, held: [:], perEndpoint: 4)
            #expect(claims.count == 5)
            #expect(Set(claims.map(\.id)).count == 5)
        }
    }

    @Test("With nothing due, nothing is claimed and the next due time is the earliest across endpoints")
    func nextDue() async throws {
        try await Harness.with(relay: false) { h in
            let queue = WebhookDeliveryQueue(pool: h.pool, configuration: h.configuration)
            #expect(try await queue.untilNextDue() == nil)
            let backlog = try await Self.backlog(h, events: 2, dueIn: [600, 900])
            let soonest = try #require(backlog.keys.sorted { $0.lowercasedString < $1.lowercasedString }.last)
            try await h.pool.withAdminTransaction { connection in
                _ = try await connection.execute(
                    """
                    UPDATE webhook_deliveries SET next_attempt_at = now() + interval '120 seconds'
                    WHERE webhook_id = \(soonest) AND next_attempt_at > now() + interval '800 seconds'
                    """
                )
            }
            #expect(try await queue.claim(limit: 10, held: [:], perEndpoint: 4).isEmpty)
            let due = try #require(try await queue.untilNextDue())
            #expect(due > .seconds(100) && due <= .seconds(120))
        }
    }
}
