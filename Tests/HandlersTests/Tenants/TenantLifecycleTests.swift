import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("TenantHandler lifecycle", .serialized)
struct TenantLifecycleTests {
    @Test("Create, get, update, disable and re-enable round trip through PostgreSQL")
    func roundTrip() async throws {
        try await MigratedDatabase.with { pool in
            let listener = RecordingTenantChangeListener()
            let handler = TenantHandler(pool: pool, secrets: .forTests, changes: listener)
            let admin = TestCaller.context(TestCaller.superAdmin)

            let created = try await TenantFixtures.create(handler, name: "  Acme Corp  ")
            #expect(created.name == "Acme Corp")
            #expect(created.enabled)
            #expect(!created.hasDisabledAt)
            #expect(UUID(uuidString: created.id) != nil)
            #expect(created.settings.llm.model == "gpt-4o-mini")
            #expect(created.settings.llm.temperature.value == 0.7)
            #expect(created.settings.rag.topK == 8)
            #expect(created.settings.widget.allowedOrigins == ["https://shop.example.com", "http://localhost:3000"])
            #expect(created.metadata == ["plan": "gold"])
            #expect(created.settings.llm.apiKeyLastFour == "WXYZ")
            #expect(created.settings.rag.embedding.apiKeyLastFour == "ABCD")

            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = created.id
            let read = try await handler.getTenant(request: get, context: admin)
            #expect(read == created)

            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = created.id
            update.tenant.name = "Acme Inc"
            update.tenant.settings.rag.topK = 12
            update.tenant.settings.llm.model = "ignored, not in the mask"
            update.updateMask.paths = ["name", "settings.rag.top_k"]
            let updated = try await handler.updateTenant(request: update, context: admin)
            #expect(updated.name == "Acme Inc")
            #expect(updated.settings.rag.topK == 12)
            #expect(updated.settings.llm.model == "gpt-4o-mini")
            #expect(updated.settings.rag.textSearchLanguage == "english")
            #expect(updated.createdAt == created.createdAt)

            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = created.id
            let disabled = try await handler.disableTenant(request: disable, context: admin)
            #expect(!disabled.enabled)
            #expect(disabled.hasDisabledAt)
            let again = try await handler.disableTenant(request: disable, context: admin)
            #expect(again == disabled)

            var enable = Metachat_V1_UpdateTenantRequest()
            enable.tenantID = created.id
            enable.tenant.enabled = true
            enable.updateMask.paths = ["enabled"]
            let enabled = try await handler.updateTenant(request: enable, context: admin)
            #expect(enabled.enabled)
            #expect(!enabled.hasDisabledAt)
            #expect(enabled.name == "Acme Inc")

            // One announcement per committed change; the idempotent second disable changed nothing.
            #expect(await listener.changed == Array(repeating: created.id, count: 4))
        }
    }

    @Test("A tenant created with enabled=false starts disabled with a disabled time; metadata defaults to empty")
    func createDisabled() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            var request = Metachat_V1_CreateTenantRequest()
            request.name = "Dormant"
            request.enabled = Google_Protobuf_BoolValue(false)

            let tenant = try await handler.createTenant(request: request, context: TestCaller.context(.bootstrap))

            #expect(!tenant.enabled)
            #expect(tenant.hasDisabledAt)
            #expect(tenant.metadata.isEmpty)
            #expect(tenant.settings.llm.apiKeyLastFour.isEmpty)
        }
    }

    @Test(
        "API keys are never answered, kept when an update omits them, replaced when given and cleared when named empty")
    func secretsAreWriteOnly() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(TestCaller.superAdmin)
            let created = try await TenantFixtures.create(handler)
            try TenantFixtures.expectNoSecrets(created)

            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = created.id
            try TenantFixtures.expectNoSecrets(try await handler.getTenant(request: get, context: admin))
            try TenantFixtures.expectNoSecrets(
                try await handler.listTenants(request: Metachat_V1_ListTenantsRequest(), context: admin))

            // Replacing the whole llm message without a key keeps the stored key.
            var replaceLlm = Metachat_V1_UpdateTenantRequest()
            replaceLlm.tenantID = created.id
            replaceLlm.tenant.settings.llm.model = "llama3.1:8b"
            replaceLlm.updateMask.paths = ["settings.llm"]
            let kept = try await handler.updateTenant(request: replaceLlm, context: admin)
            try TenantFixtures.expectNoSecrets(kept)
            #expect(kept.settings.llm.model == "llama3.1:8b")
            #expect(kept.settings.llm.apiKeyLastFour == "WXYZ")
            #expect(kept.settings.rag.embedding.apiKeyLastFour == "ABCD")

            var replaceKey = Metachat_V1_UpdateTenantRequest()
            replaceKey.tenantID = created.id
            replaceKey.tenant.settings.llm.apiKey = "sk-new-key-000000-LMNO"
            let replaced = try await handler.updateTenant(request: replaceKey, context: admin)
            #expect(replaced.settings.llm.apiKeyLastFour == "LMNO")
            #expect(try !replaced.jsonString().contains("sk-new-key"))

            var clear = Metachat_V1_UpdateTenantRequest()
            clear.tenantID = created.id
            clear.updateMask.paths = ["settings.rag.embedding.api_key"]
            let cleared = try await handler.updateTenant(request: clear, context: admin)
            #expect(cleared.settings.rag.embedding.apiKeyLastFour.isEmpty)
            #expect(cleared.settings.llm.apiKeyLastFour == "LMNO")

            // The settings JSON in the database never holds a key; the key columns do.
            let stored = try await pool.withAdminTransaction { connection in
                let row = try await connection.query(
                    "SELECT settings::text AS s, llm_api_key, embedding_api_key FROM tenants WHERE id = \(UUID(uuidString: created.id))"
                )[0]
                return (
                    try row.decode("s", as: String.self), try row.decode("llm_api_key", as: String?.self),
                    try row.decode("embedding_api_key", as: String?.self)
                )
            }
            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = created.id
            try TenantFixtures.expectNoSecrets(try await handler.disableTenant(request: disable, context: admin))
            #expect(!stored.0.contains("sk-"))
            let sealed = try #require(stored.1)
            #expect(!sealed.contains("sk-new-key"))
            let context = SecretContext(table: "tenants", column: "llm_api_key", rowID: created.id)
            #expect(try SecretsEnvelope.forTests.open(sealed, context: context) == "sk-new-key-000000-LMNO")
            #expect(stored.2 == nil)
        }
    }

    @Test("Every change writes an audit row with the actor, action, target and request id")
    func auditRows() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            var create = TenantFixtures.createRequest()
            create.settings = Metachat_V1_TenantSettings()
            let created = try await handler.createTenant(
                request: create, context: TestCaller.context(TestCaller.standardAdmin, requestID: "req-create"))

            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = created.id
            update.tenant.settings.widget.title = "Help"
            _ = try await handler.updateTenant(
                request: update, context: TestCaller.context(TestCaller.tenant(created.id), requestID: "req-update"))

            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = created.id
            _ = try await handler.disableTenant(
                request: disable, context: TestCaller.context(.bootstrap, requestID: "req-off"))

            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = created.id
            _ = try await handler.getTenant(request: get, context: TestCaller.context(.bootstrap))

            let rows = try await TenantFixtures.auditRows(pool, tenantID: created.id)
            #expect(rows.map(\.action) == ["tenant.created", "tenant.updated", "tenant.disabled"])
            #expect(rows.map(\.actor) == [TestCaller.standardAdminID, "tenant:\(created.id)", "bootstrap"])
            #expect(rows.map(\.target) == [created.id, created.id, created.id])
            #expect(rows.map(\.requestID) == ["req-create", "req-update", "req-off"])
            #expect(rows[1].details.contains("settings.widget.title"))
        }
    }

    @Test("A tenant key reads and updates its own tenant but not enabled or its rate limit")
    func tenantUpdatesItself() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let tenant = try await TenantFixtures.create(handler)
            let own = TestCaller.context(TestCaller.tenant(tenant.id))

            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenant.id.uppercased()
            update.tenant.settings.widget.greeting = "Hello!"
            update.updateMask.paths = ["settings.widget.greeting"]
            let updated = try await handler.updateTenant(request: update, context: own)
            #expect(updated.settings.widget.greeting == "Hello!")

            for path in ["enabled", "settings.rate_limit.window_seconds", "settings"] {
                var forbidden = Metachat_V1_UpdateTenantRequest()
                forbidden.tenantID = tenant.id
                forbidden.tenant.enabled = false
                forbidden.updateMask.paths = [path]
                let code = await TenantFixtures.code {
                    try await handler.updateTenant(request: forbidden, context: own)
                }
                #expect(code == .permissionDenied, "path \(path)")
            }
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenant.id
            #expect(try await handler.getTenant(request: get, context: own).enabled)
        }
    }
}
