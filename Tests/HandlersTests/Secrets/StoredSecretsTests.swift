import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// Provider keys at rest: sealed in the tenants table, plaintext from before the envelope sealed
/// at start-up, everything re-sealed by a rewrap, and a stored key never sent to a new host.
@Suite("Stored secrets", .serialized)
struct StoredSecretsTests {
    private static let keyA = SecretsEncryptionKey(bytes: Array(repeating: 1, count: 32))
    private static let keyB = SecretsEncryptionKey(bytes: Array(repeating: 2, count: 32))

    private static func storedLLMKey(_ pool: PostgresPool, tenantID: String) async throws -> (String?, String?) {
        let rows = try await pool.withAdminTransaction { connection in
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "SELECT llm_api_key, llm_api_key_last_four FROM tenants WHERE id = $1::uuid",
                    binds: [.text(tenantID)]))
        }
        let row = try #require(rows.first)
        return (try row.decode(0, as: String?.self), try row.decode(1, as: String?.self))
    }

    @Test("A provider key is stored sealed under the current key and opens only in its own row")
    func storedSealed() async throws {
        try await MigratedDatabase.with { pool in
            let envelope = SecretsEnvelope(current: Self.keyA)
            let handler = TenantHandler(pool: pool, secrets: envelope)
            let tenant = try await TenantFixtures.create(handler)
            let (stored, lastFour) = try await Self.storedLLMKey(pool, tenantID: tenant.id)
            let sealed = try #require(stored)
            #expect(sealed.hasPrefix("mcs1:\(Self.keyA.id):"))
            #expect(!sealed.contains(TenantFixtures.llmKey))
            #expect(lastFour == "WXYZ")
            let column = SecretColumn(table: "tenants", column: "llm_api_key")
            #expect(try envelope.open(sealed, context: column.context(rowID: tenant.id)) == TenantFixtures.llmKey)
            let other = try await TenantFixtures.create(handler, name: "Other")
            #expect(throws: SecretsEnvelopeError.undecryptable) {
                try envelope.open(sealed, context: column.context(rowID: other.id))
            }
        }
    }

    @Test("Without SECRETS_ENCRYPTION_KEY a provider key is refused with FAILED_PRECONDITION and nothing is stored")
    func noKeyRefused() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: SecretsEnvelope(current: nil))
            await expectRPCError(.failedPrecondition, "SECRETS_ENCRYPTION_KEY") {
                try await TenantFixtures.create(handler)
            }
            let count = try await pool.withAdminTransaction { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM tenants"))
            }
            #expect(try count.first?.decode(0, as: Int.self) == 0)
            // Without keys in the request the tenant is created.
            let tenant = try await TenantFixtures.create(handler) { request in
                request.settings.llm.apiKey = ""
                request.settings.rag.embedding.apiKey = ""
            }
            #expect(tenant.settings.llm.apiKeyLastFour.isEmpty)
        }
    }

    @Test("Moving the LLM base URL or provider needs the key again; with it the update passes")
    func keyStaysWithItsHost() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: SecretsEnvelope(current: Self.keyA))
            let admin = TestCaller.context(TestCaller.superAdmin)
            let tenant = try await TenantFixtures.create(handler)
            let before = try await Self.storedLLMKey(pool, tenantID: tenant.id)

            var move = Metachat_V1_UpdateTenantRequest()
            move.tenantID = tenant.id
            move.tenant.settings.llm.baseURL = "https://llm.elsewhere.example/v1"
            move.updateMask.paths = ["settings.llm.base_url"]
            await expectRPCError(.failedPrecondition, "settings.llm.apiKey must be given again") {
                try await handler.updateTenant(request: move, context: admin)
            }
            var provider = Metachat_V1_UpdateTenantRequest()
            provider.tenantID = tenant.id
            provider.tenant.settings.llm.provider = .openaiCompatible
            provider.tenant.settings.llm.baseURL = "https://llm.elsewhere.example/v1"
            provider.updateMask.paths = ["settings.llm.provider", "settings.llm.base_url"]
            await expectRPCError(.failedPrecondition, "never sent to another host") {
                try await handler.updateTenant(request: provider, context: admin)
            }
            #expect(try await Self.storedLLMKey(pool, tenantID: tenant.id) == before)

            move.tenant.settings.llm.apiKey = "sk-new-host-key-0000-NEW1"
            move.updateMask.paths.append("settings.llm.api_key")
            let moved = try await handler.updateTenant(request: move, context: admin)
            #expect(moved.settings.llm.baseURL == "https://llm.elsewhere.example/v1")
            #expect(moved.settings.llm.apiKeyLastFour == "NEW1")

            var clear = Metachat_V1_UpdateTenantRequest()
            clear.tenantID = tenant.id
            clear.tenant.settings.llm.baseURL = "https://third.example/v1"
            clear.updateMask.paths = ["settings.llm.base_url", "settings.llm.api_key"]
            let cleared = try await handler.updateTenant(request: clear, context: admin)
            #expect(cleared.settings.llm.apiKeyLastFour.isEmpty)
            #expect(try await Self.storedLLMKey(pool, tenantID: tenant.id) == (nil, nil))
        }
    }

    @Test("Plaintext keys from before the envelope are sealed with their last four; a second pass changes nothing")
    func plaintextSealed() async throws {
        try await MigratedDatabase.with { pool in
            let tenant = try await TenantFixtures.create(TenantHandler(pool: pool, secrets: .forTests)) { request in
                request.settings.rag.embedding.apiKey = ""
            }
            _ = try await pool.withAdminTransaction { connection in
                try await connection.execute(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE tenants SET llm_api_key = 'sk-legacy-plain-7777', llm_api_key_last_four = 'xxxx'
                            WHERE id = $1::uuid
                            """,
                        binds: [.text(tenant.id)]))
            }
            let envelope = SecretsEnvelope(current: Self.keyA)
            let keeper = SecretsKeeper(pool: pool, envelope: envelope)
            let report = try await keeper.sealAll(rewrap: false)
            #expect(report.sealedPlaintext == 1)
            let (stored, lastFour) = try await Self.storedLLMKey(pool, tenantID: tenant.id)
            let sealed = try #require(stored)
            #expect(lastFour == "7777")
            let context = SecretColumn(table: "tenants", column: "llm_api_key").context(rowID: tenant.id)
            #expect(try envelope.open(sealed, context: context) == "sk-legacy-plain-7777")
            #expect(try await keeper.sealAll(rewrap: false) == .init(sealedPlaintext: 0, rewrapped: 0, current: 1))
            #expect(try await keeper.sealedValueCount() == 1)
        }
    }

    @Test("Rewrap moves every secret to the new key; afterwards the old key is no longer needed")
    func rewrap() async throws {
        try await MigratedDatabase.with { pool in
            let underA = TenantHandler(pool: pool, secrets: SecretsEnvelope(current: Self.keyA))
            var tenants: [Metachat_V1_Tenant] = []
            for index in 0..<3 { tenants.append(try await TenantFixtures.create(underA, name: "T\(index)")) }

            let rotated = SecretsEnvelope(current: Self.keyB, old: [Self.keyA])
            let report = try await SecretsKeeper(pool: pool, envelope: rotated).sealAll(rewrap: true)
            #expect(report == .init(sealedPlaintext: 0, rewrapped: 6, current: 0))

            let onlyB = SecretsEnvelope(current: Self.keyB)
            for tenant in tenants {
                let (stored, lastFour) = try await Self.storedLLMKey(pool, tenantID: tenant.id)
                let sealed = try #require(stored)
                #expect(sealed.hasPrefix("mcs1:\(Self.keyB.id):"))
                #expect(lastFour == "WXYZ")
                let context = SecretColumn(table: "tenants", column: "llm_api_key").context(rowID: tenant.id)
                #expect(try onlyB.open(sealed, context: context) == TenantFixtures.llmKey)
            }
            let again = try await SecretsKeeper(pool: pool, envelope: onlyB).sealAll(rewrap: true)
            #expect(again == .init(sealedPlaintext: 0, rewrapped: 0, current: 6))
        }
    }

    @Test("A rewrap without the old key stops at the first value it cannot open and changes nothing of it")
    func rewrapWithoutOldKey() async throws {
        try await MigratedDatabase.with { pool in
            let tenant = try await TenantFixtures.create(
                TenantHandler(pool: pool, secrets: SecretsEnvelope(current: Self.keyA)))
            let before = try await Self.storedLLMKey(pool, tenantID: tenant.id)
            await #expect(throws: SecretsEnvelopeError.unknownKey(id: Self.keyA.id)) {
                try await SecretsKeeper(pool: pool, envelope: SecretsEnvelope(current: Self.keyB)).sealAll(rewrap: true)
            }
            #expect(try await Self.storedLLMKey(pool, tenantID: tenant.id) == before)
        }
    }

    @Test("Start-up check: sealed values and no key refuse; no sealed values or a key pass")
    func startupCheck() async throws {
        try await MigratedDatabase.with { pool in
            let keyless = SecretsKeeper(pool: pool, envelope: SecretsEnvelope(current: nil))
            try await keyless.requireKeyIfSealedDataExists()
            _ = try await TenantFixtures.create(TenantHandler(pool: pool, secrets: SecretsEnvelope(current: Self.keyA)))
            await #expect(throws: SecretsEnvelopeError.noKey) { try await keyless.requireKeyIfSealedDataExists() }
            try await SecretsKeeper(pool: pool, envelope: SecretsEnvelope(current: Self.keyA))
                .requireKeyIfSealedDataExists()
        }
    }
}

@Suite("Tenant provider URLs and the egress policy", .serialized)
struct TenantEgressTests {
    private struct LoopbackResolver: HostResolver {
        func addresses(of host: String) async throws -> [ClientAddress] {
            [ClientAddress("127.0.0.1")].compactMap { $0 }
        }
    }

    @Test("A base URL the egress policy refuses is INVALID_ARGUMENT naming the field; allowed ones are saved")
    func baseURLChecked() async throws {
        try await MigratedDatabase.with { pool in
            let strict = OutboundHTTPClient(policy: EgressPolicy(), resolver: LoopbackResolver())
            let handler = TenantHandler(pool: pool, secrets: .forTests, outbound: strict)
            await expectRPCError(.invalidArgument, "settings.llm.baseUrl is refused: 127.0.0.1") {
                try await TenantFixtures.create(handler) { $0.settings.llm.baseURL = "http://127.0.0.1:11434/v1" }
            }
            await expectRPCError(.invalidArgument, "settings.rag.embedding.baseUrl is refused: ollama.internal") {
                try await TenantFixtures.create(handler) {
                    $0.settings.rag.embedding.baseURL = "http://ollama.internal:11434/v1"
                }
            }
            let tenant = try await TenantFixtures.create(handler)
            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenant.id
            update.tenant.settings.llm.baseURL = "http://169.254.169.254/latest"
            update.tenant.settings.llm.apiKey = "sk-another-key-0000-ABCD"
            update.updateMask.paths = ["settings.llm.base_url", "settings.llm.api_key"]
            await expectRPCError(.invalidArgument, "link-local") {
                try await handler.updateTenant(request: update, context: TestCaller.context(TestCaller.superAdmin))
            }

            let allowing = OutboundHTTPClient(
                policy: EgressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")].compactMap { $0 }),
                resolver: LoopbackResolver())
            let allowed = try await TenantFixtures.create(
                TenantHandler(pool: pool, secrets: .forTests, outbound: allowing)
            ) { $0.settings.llm.baseURL = "http://ollama.internal:11434/v1" }
            #expect(allowed.settings.llm.baseURL == "http://ollama.internal:11434/v1")
        }
    }

    /// A resolver that, while it answers, tries to lock the tenant's row from another connection
    /// without waiting, and records whether it could.
    private final class LockProbingResolver: HostResolver {
        let pool: PostgresPool
        let tenantID = LockedBox<String?>(nil)
        let rowWasFree = LockedBox<[Bool]>([])

        init(pool: PostgresPool) {
            self.pool = pool
        }

        func addresses(of host: String) async throws -> [ClientAddress] {
            if let id = self.tenantID.withLock({ $0 }) {
                let free: Bool
                do {
                    _ = try await self.pool.withAdminTransaction { connection in
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL: "SELECT 1 FROM tenants WHERE id = $1::uuid FOR UPDATE NOWAIT",
                                binds: [.text(id)]))
                    }
                    free = true
                } catch {
                    free = false
                }
                self.rowWasFree.withLock { $0.append(free) }
            }
            return [ClientAddress("127.0.0.1")].compactMap { $0 }
        }
    }

    @Test("A new base URL's name is resolved before the tenant's row is locked, and a refusal leaves the row as it was")
    func resolvedOutsideTheRowLock() async throws {
        try await MigratedDatabase.with { pool in
            let resolver = LockProbingResolver(pool: pool)
            let allowing = OutboundHTTPClient(
                policy: EgressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")].compactMap { $0 }), resolver: resolver)
            let handler = TenantHandler(pool: pool, secrets: .forTests, outbound: allowing)
            let tenant = try await TenantFixtures.create(handler)
            resolver.tenantID.withLock { $0 = tenant.id }
            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenant.id
            update.tenant.settings.llm.baseURL = "http://models.internal:11434/v1"
            update.tenant.settings.llm.apiKey = "sk-models-internal-0000-WXYZ"
            update.updateMask.paths = ["settings.llm.base_url", "settings.llm.api_key"]
            let updated = try await handler.updateTenant(
                request: update, context: TestCaller.context(TestCaller.superAdmin))
            #expect(updated.settings.llm.baseURL == "http://models.internal:11434/v1")
            #expect(resolver.rowWasFree.withLock { $0 } == [true])

            let strict = TenantHandler(
                pool: pool, secrets: .forTests, outbound: OutboundHTTPClient(policy: EgressPolicy(), resolver: resolver)
            )
            update.tenant.settings.llm.baseURL = "http://other.internal:11434/v1"
            await expectRPCError(.invalidArgument, "settings.llm.baseUrl is refused: other.internal") {
                try await strict.updateTenant(request: update, context: TestCaller.context(TestCaller.superAdmin))
            }
            #expect(resolver.rowWasFree.withLock { $0 } == [true, true])
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenant.id
            let stored = try await handler.getTenant(request: get, context: TestCaller.context(TestCaller.superAdmin))
            #expect(stored.settings.llm.baseURL == "http://models.internal:11434/v1")
        }
    }
}
