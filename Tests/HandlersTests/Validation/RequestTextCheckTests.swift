import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// NUL and control characters in request strings: refused with INVALID_ARGUMENT naming the field
/// before anything reaches PostgreSQL (NUL used to come back as an internal error), with tab and
/// line breaks accepted only in the prose fields; stored data never changes, also when the
/// refused requests race each other and valid ones.
@Suite("Control characters in requests", .serialized)
struct RequestTextCheckTests {
    /// Every C0 control, DEL and every C1 control.
    static let controls: [Unicode.Scalar] = (Array(0x00...0x1F) + Array(0x7F...0x9F)).compactMap(Unicode.Scalar.init)

    @Test("Every control character in a key label is INVALID_ARGUMENT naming label, and no key is stored")
    func labelControls() async throws {
        try await SecurityTestHarness.with { harness in
            let adminID = try await harness.makeAdmin(role: .super)
            let caller = SecurityTestHarness.context(.bootstrap)
            for scalar in Self.controls {
                var request = Metachat_V1_CreateAdminApiKeyRequest()
                request.adminID = adminID
                request.label = "ops" + String(Character(scalar)) + "key"
                await expectRPCError(.invalidArgument, "label must not contain control characters") {
                    try await harness.handler.createAdminApiKey(request: request, context: caller)
                }
            }
            let keys = try await harness.pool.withAdminTransaction { connection in
                try await connection.query("SELECT count(*)::int8 AS n FROM api_keys")
            }
            #expect(try keys[0].decode("n", as: Int.self) == 0)
        }
    }

    /// A create request with one bad string and the field the error must name.
    struct BadString: Sendable, CustomTestStringConvertible {
        var field: String
        var change: @Sendable (inout Metachat_V1_CreateTenantRequest) -> Void

        init(_ field: String, _ change: @escaping @Sendable (inout Metachat_V1_CreateTenantRequest) -> Void) {
            self.field = field
            self.change = change
        }

        var testDescription: String { self.field }
    }

    @Test(
        "Nested, listed and mapped strings are named by their JSON path",
        arguments: [
            BadString("settings.escalation.keywords[1]") { $0.settings.escalation.keywords = ["help", "agent\u{1}"] },
            BadString("metadata.plan") { $0.metadata = ["plan": "gold\u{0}"] },
            BadString("metadata keys") { $0.metadata = ["pl\u{85}an": "gold"] },
            BadString("settings.llm.systemPrompt") { $0.settings.llm.systemPrompt = "Answer\u{1B}[31m" },
            BadString("settings.rag.embedding.apiKey") { $0.settings.rag.embedding.apiKey = "sk-abc\u{7F}defgh" },
            BadString("name") { $0.name = "Acme\tCorp" },
        ]
    )
    func namesTheField(bad: BadString) async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            var request = TenantFixtures.createRequest()
            bad.change(&request)

            await expectRPCError(.invalidArgument, "\(bad.field) must not contain control characters") {
                try await handler.createTenant(request: request, context: TestCaller.context(TestCaller.superAdmin))
            }
            let page = try await handler.listTenants(
                request: Metachat_V1_ListTenantsRequest(), context: TestCaller.context(TestCaller.superAdmin))
            #expect(page.tenants.isEmpty)
        }
    }

    @Test("Prose fields keep tabs and line breaks but refuse other controls; a bad update mask names updateMask")
    func proseAndMask() async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(TestCaller.superAdmin)
            let prose = "Line one\n\tindented\r\nline two"
            let tenant = try await TenantFixtures.create(handler) {
                $0.settings.llm.systemPrompt = prose
                $0.settings.escalation.handoffMessage = prose
                $0.settings.widget.greeting = prose
                $0.metadata = ["notes": prose]
            }
            #expect(tenant.settings.llm.systemPrompt == prose)
            #expect(tenant.metadata["notes"] == prose)

            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenant.id
            update.tenant.settings.widget.greeting = "Hi\u{0B}there"
            await expectRPCError(
                .invalidArgument,
                "settings.widget.greeting must not contain control characters other than tab, line feed and carriage return"
            ) {
                try await handler.updateTenant(request: update, context: admin)
            }
            update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenant.id
            update.tenant.name = "Renamed"
            update.updateMask.paths = ["na\u{0}me"]
            await expectRPCError(.invalidArgument, "updateMask must not contain control characters") {
                try await handler.updateTenant(request: update, context: admin)
            }
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenant.id
            #expect(try await handler.getTenant(request: get, context: admin) == tenant)
        }
    }

    @Test("Refused updates racing valid ones never change the tenant: only the valid updates are stored")
    func concurrentRefusalsChangeNothing() async throws {
        try await MigratedDatabase.with(maximumConnections: 4) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(TestCaller.superAdmin)
            let tenant = try await TenantFixtures.create(handler)

            let outcomes = await withTaskGroup(of: (valid: Bool, succeeded: Bool).self) { group in
                for index in 0..<60 {
                    group.addTask {
                        var update = Metachat_V1_UpdateTenantRequest()
                        update.tenantID = tenant.id
                        let valid = index % 10 == 0
                        // Controls other than NUL in prose, which used to be stored.
                        let prose = index % 2 == 0 ? "\u{1B}" : "\u{85}"
                        update.tenant.settings.llm.model = "model-\(index)"
                        update.tenant.settings.llm.systemPrompt = valid ? "prompt" : "prompt\(prose)"
                        update.tenant.metadata = valid ? ["run": "\(index)"] : ["run": "x\(prose)\(index)"]
                        update.updateMask.paths = ["settings.llm.model", "settings.llm.system_prompt", "metadata"]
                        do {
                            _ = try await handler.updateTenant(request: update, context: admin)
                            return (valid, true)
                        } catch {
                            return (valid, false)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenant.id
            let stored = try await handler.getTenant(request: get, context: admin)
            let audits = try await pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT count(*)::int8 AS n FROM audit_log WHERE action = 'tenant.updated'")
            }

            #expect(outcomes.allSatisfy { $0.valid == $0.succeeded })
            #expect(try audits[0].decode("n", as: Int.self) == 6)
            #expect(stored.settings.llm.model.hasPrefix("model-"))
            #expect(stored.metadata["run"].map { "model-\($0)" } == stored.settings.llm.model)
            #expect(!stored.settings.llm.model.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F) ~= $0.value })
        }
    }
}
