import Foundation
import Handlers
import Logging
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("The outbox", .serialized)
struct OutboxTests {
    /// The outbox rows, oldest first: type, tenant and the parsed body.
    static func rows(_ pool: PostgresPool) async throws -> [(type: String, tenant: String, body: [String: Any])] {
        try await pool.withAdminTransaction { connection in
            try await connection.query("SELECT event_type, tenant_id, body FROM outbox_events ORDER BY position").map {
                let body = try $0.decode("body", as: String.self)
                return (
                    try $0.decode("event_type"), try $0.decode("tenant_id", as: UUID.self).uuidString.lowercased(),
                    (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
                )
            }
        }
    }

    @Test("Conversation changes write one outbox event per durable event, in the same transaction; failed ones none")
    func conversationEvents() async throws {
        try await ConversationTestHarness.with { h in
            let conversation = try await h.create()
            try await h.reply(conversation.id, text: "hello")
            var rows = try await Self.rows(h.pool)
            #expect(
                rows.map(\.type) == [
                    "conversation.created", "conversation.status_changed", "conversation.assigned", "message.created",
                ])
            let durable = try await h.storedEvents(h.tenantA)
            #expect(rows.count == durable.count)
            for (row, event) in zip(rows, durable) {
                let data = try #require(row.body["data"] as? [String: Any])
                #expect(data["eventId"] as? String == event.eventID)
                #expect(data["conversationId"] as? String == conversation.id)
                #expect(row.tenant == h.tenantA)
            }
            // A transition the status machine refuses rolls back: no event anywhere.
            var reopen = Metachat_V1_ReopenConversationRequest()
            reopen.conversationID = conversation.id
            await expectRPCError(.failedPrecondition) {
                try await h.handler.reopenConversation(request: reopen, context: h.asA)
            }
            rows = try await Self.rows(h.pool)
            #expect(rows.count == durable.count)
        }
    }

    @Test("Erasing a conversation deletes its waiting outbox events")
    func erasure() async throws {
        try await ConversationTestHarness.with { h in
            let keep = try await h.create(user: "keep")
            let forget = try await h.create(user: "forget")
            try await h.reply(forget.id, text: "words")
            var request = Metachat_V1_DeleteConversationRequest()
            request.conversationID = forget.id
            _ = try await h.handler.deleteConversation(request: request, context: h.asA)
            let rows = try await Self.rows(h.pool)
            #expect(rows.count == 1)
            #expect((rows.first?.body["data"] as? [String: Any])?["conversationId"] as? String == keep.id)
        }
    }

    @Test("Tenant creation, updates and disabling write tenant events")
    func tenantEvents() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: testSecretSealing.envelope)
            let tenant = try await TenantFixtures.create(handler)
            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenant.id
            update.tenant.name = "Renamed"
            update.updateMask.paths = ["name"]
            _ = try await handler.updateTenant(request: update, context: TestCaller.context(TestCaller.superAdmin))
            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = tenant.id
            _ = try await handler.disableTenant(request: disable, context: TestCaller.context(TestCaller.superAdmin))
            // Disabling again changes nothing and writes nothing.
            _ = try await handler.disableTenant(request: disable, context: TestCaller.context(TestCaller.superAdmin))
            let rows = try await Self.rows(pool)
            #expect(rows.map(\.type) == ["tenant.created", "tenant.updated", "tenant.disabled"])
            #expect(rows.allSatisfy { $0.tenant == tenant.id })
            let updated = try #require(rows[1].body["data"] as? [String: Any])
            #expect(updated["changedFields"] as? [String] == ["name"])
            #expect((updated["tenant"] as? [String: Any])?["name"] as? String == "Renamed")
            // The tenant's API keys never leave in an event.
            let text = try await pool.withAdminTransaction { connection in
                try await connection.query("SELECT string_agg(body, '') AS b FROM outbox_events")[0]
                    .decode("b", as: String.self)
            }
            #expect(!text.contains(TenantFixtures.llmKey))
            #expect(!text.contains(TenantFixtures.embeddingKey))
        }
    }

    @Test("Tenant key creation, rotation and revocation write key events without the key; admin keys none")
    func keyEvents() async throws {
        try await SecurityTestHarness.with { h in
            let tenantID = try await h.makeTenant()
            let created = try await h.makeTenantKey(tenantID: tenantID)
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = created.key.id
            let token = try await h.handler.startTenantApiKeyRotation(
                request: start, context: SecurityTestHarness.context(.bootstrap)
            ).rotationToken
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = created.key.id
            confirm.token = token
            let rotated = try await h.handler.confirmTenantApiKeyRotation(
                request: confirm, context: SecurityTestHarness.context(.bootstrap))
            var revoke = Metachat_V1_RevokeTenantApiKeyRequest()
            revoke.tenantID = tenantID
            revoke.keyID = created.key.id
            _ = try await h.handler.revokeTenantApiKey(
                request: revoke, context: SecurityTestHarness.context(.bootstrap))
            let admin = try await h.makeAdmin(role: .standard)
            _ = try await h.makeAdminKey(adminID: admin)
            let rows = try await Self.rows(h.pool)
            #expect(rows.map(\.type) == ["api_key.created", "api_key.rotated", "api_key.revoked"])
            #expect(rows.allSatisfy { ($0.body["data"] as? [String: Any])?["tenantId"] as? String == tenantID })
            let text = try await h.pool.withAdminTransaction { connection in
                try await connection.query("SELECT string_agg(body, '') AS b FROM outbox_events")[0]
                    .decode("b", as: String.self)
            }
            #expect(!text.contains(created.apiKey))
            #expect(!text.contains(rotated.apiKey))
            #expect(!text.contains(token))
        }
    }

    @Test("The pruner keeps what a consumer still needs and deletes what all have handled")
    func pruning() async throws {
        try await MigratedDatabase.with { pool in
            let tenant = try await ConversationTestHarness.makeTenant(pool, name: "P")
            // (fanned out, published, age in hours) → kept?
            let cases: [(fanned: Bool, published: Bool, hours: Int, kept: Bool)] = [
                (false, false, 500, true),  // not fanned out yet: kept however old
                (true, false, 2, true),  // waits for the bus
                (true, false, 200, false),  // older than 7 days: given up on
                (true, true, 0, true),  // handled, but less than an hour old
                (true, true, 2, false),  // handled
                (false, true, 2, true),  // published but not fanned out
            ]
            var ids: [UUID] = []
            for item in cases {
                let id = UUID()
                ids.append(id)
                try await pool.withAdminTransaction { connection in
                    try await connection.execute(
                        """
                        INSERT INTO outbox_events (id, tenant_id, event_type, body, occurred_at, fanned_out_at,
                            published_at)
                        VALUES (\(id), \(UUID(uuidString: tenant)), 'tenant.updated', '{}',
                            now() - \(Int64(item.hours)) * interval '1 hour',
                            CASE WHEN \(item.fanned) THEN now() END, CASE WHEN \(item.published) THEN now() END)
                        """
                    )
                }
            }
            let pruner = OutboxPruner(
                pool: pool, logger: Logger(label: "pruner", factory: { _ in SwiftLogNoOpLogHandler() }))
            let events = try await pruner.prune(now: Date())
            #expect(events == cases.filter { !$0.kept }.count)
            let left = try await pool.withAdminTransaction { connection in
                try await connection.query("SELECT id FROM outbox_events").map { try $0.decode("id", as: UUID.self) }
            }
            #expect(Set(left) == Set(zip(ids, cases).filter { $0.1.kept }.map(\.0)))
        }
    }
}
