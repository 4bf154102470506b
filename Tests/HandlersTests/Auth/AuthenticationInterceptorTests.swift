import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import Testing

@Suite("Authentication interceptor", .serialized)
struct AuthenticationInterceptorTests {
    private static func interceptor(_ pool: PostgresPool, global: String? = "global-bootstrap-key") -> (
        AuthenticationInterceptor, KeyDirectory, KeyUsageRecorder
    ) {
        let directory = KeyDirectory(pool: pool)
        let usage = KeyUsageRecorder(pool: pool)
        let interceptor = AuthenticationInterceptor(
            directory: directory, usage: usage, pepper: AuthFixture.pepper, globalAPIKey: global)
        return (interceptor, directory, usage)
    }

    @Test("An admin key in x-admin-key, a tenant key in x-api-key or Bearer, and GLOBAL_API_KEY become principals")
    func principals() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let (interceptor, _, _) = Self.interceptor(pool)
            let adminID = try await fixture.admin(role: "SUPER")
            let adminKey = try await fixture.key(admin: adminID)
            let standardID = try await fixture.admin(role: "STANDARD")
            let standardKey = try await fixture.key(admin: standardID)
            let tenantID = try await fixture.tenant()
            let tenantKey = try await fixture.key(tenant: tenantID)

            let admin = try await AuthFixture.call(
                [interceptor], metadata: ["x-admin-key": adminKey.material.plaintext])
            let standard = try await AuthFixture.call(
                [interceptor], metadata: ["x-admin-key": standardKey.material.plaintext])
            let viaHeader = try await AuthFixture.call(
                [interceptor], metadata: ["x-api-key": tenantKey.material.plaintext])
            let viaBearer = try await AuthFixture.call(
                [interceptor], metadata: ["authorization": "Bearer " + tenantKey.material.plaintext])
            let bootstrap = try await AuthFixture.call([interceptor], metadata: ["x-admin-key": "global-bootstrap-key"])
            let anonymous = try await AuthFixture.call([interceptor])

            #expect(
                admin.principal
                    == .admin(
                        adminID: adminID.uuidString.lowercased(), keyID: adminKey.id.uuidString.lowercased(),
                        role: .super))
            #expect(
                standard.principal
                    == .admin(
                        adminID: standardID.uuidString.lowercased(), keyID: standardKey.id.uuidString.lowercased(),
                        role: .standard))
            let tenant = Principal.tenant(
                tenantID: tenantID.uuidString.lowercased(), keyID: tenantKey.id.uuidString.lowercased())
            #expect(viaHeader.principal == tenant)
            #expect(viaBearer.principal == tenant)
            #expect(bootstrap.principal == .bootstrap)
            #expect(anonymous.principal == nil)
        }
    }

    @Test("Public methods run without looking at credentials, even bad ones")
    func publicMethods() async throws {
        try await MigratedDatabase.with { pool in
            let (interceptor, directory, _) = Self.interceptor(pool)
            for method in [
                MethodDescriptor(service: "metachat.v1.SystemService", method: "GetHealth", kind: .unary),
                MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", kind: .unary),
                MethodDescriptor(
                    service: "grpc.reflection.v1.ServerReflection", method: "ServerReflectionInfo",
                    kind: .bidirectionalStreaming),
            ] {
                let context = try await AuthFixture.call(
                    [interceptor], method: method, metadata: ["x-api-key": "bogus"])
                #expect(context.principal == nil)
            }
            #expect(directory.loadCount == 0)
        }
    }

    @Test("A key in the wrong header, a malformed, unknown, revoked or expired key is UNAUTHENTICATED")
    func rejectedKeys() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let (interceptor, _, _) = Self.interceptor(pool, global: nil)
            let adminKey = try await fixture.key(admin: try await fixture.admin(role: "SUPER"))
            let tenantID = try await fixture.tenant()
            let tenantKey = try await fixture.key(tenant: tenantID)
            let revoked = try await fixture.key(tenant: tenantID, active: false)
            let expired = try await fixture.key(tenant: tenantID, expiresAt: Date(timeIntervalSinceNow: -60))
            let unknown = ApiKeyMaterial(generating: .tenant)
            // Right prefix, wrong secret: the hash decides, not the prefix.
            let forged = String(tenantKey.material.plaintext.dropLast(4)) + "AAAA"

            let cases: [([String: String], String)] = [
                (["x-api-key": adminKey.material.plaintext], "x-admin-key"),
                (["authorization": "Bearer " + adminKey.material.plaintext], "x-admin-key"),
                (["x-admin-key": tenantKey.material.plaintext], "x-api-key"),
                (["x-api-key": "not-a-key"], "not a valid API key"),
                (["x-api-key": unknown.plaintext], "not valid"),
                (["x-api-key": forged], "not valid"),
                (["x-api-key": revoked.material.plaintext], "revoked"),
                (["x-api-key": expired.material.plaintext], "expired"),
                (["x-admin-key": "global-bootstrap-key"], "not a valid API key"),
            ]
            for (metadata, message) in cases {
                let error = await statusOf { _ = try await AuthFixture.call([interceptor], metadata: metadata) }
                #expect(error?.code == .unauthenticated, "\(message)")
                #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
                for value in metadata.values where value.count > 20 {
                    do {
                        #expect(error?.message.contains(value) == false)
                        #expect(error?.message.contains(String(value.prefix(12))) == false)
                    }
                }
            }
        }
    }

    @Test("A disabled tenant's key is PERMISSION_DENIED")
    func disabledTenant() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let (interceptor, _, _) = Self.interceptor(pool)
            let key = try await fixture.key(tenant: try await fixture.tenant(enabled: false))

            let error = await statusOf {
                _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": key.material.plaintext])
            }

            #expect(error?.code == .permissionDenied)
            #expect(error?.message == "The tenant is disabled.")
        }
    }

    @Test("After a rotation the previous key works until previous_key_valid_until, then not")
    func rotationGracePeriod() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let tenantID = try await fixture.tenant()
            let old = try await fixture.key(tenant: tenantID)
            let new = ApiKeyMaterial(generating: .tenant)
            try await fixture.execute(
                """
                UPDATE api_keys SET key_hash = \(new.hash(pepper: AuthFixture.pepper)), prefix = \(new.prefix),
                    previous_key_hash = key_hash, previous_key_valid_until = now() + interval '1 hour'
                WHERE id = \(old.id)
                """)
            let (interceptor, directory, _) = Self.interceptor(pool)

            let graced = try await AuthFixture.call([interceptor], metadata: ["x-api-key": old.material.plaintext])
            let current = try await AuthFixture.call([interceptor], metadata: ["x-api-key": new.plaintext])
            let principal = Principal.tenant(
                tenantID: tenantID.uuidString.lowercased(), keyID: old.id.uuidString.lowercased())
            #expect(graced.principal == principal)
            #expect(current.principal == principal)

            try await fixture.execute(
                "UPDATE api_keys SET previous_key_valid_until = now() - interval '1 second' WHERE id = \(old.id)")
            directory.invalidate(keyID: old.id.uuidString.lowercased())
            let error = await statusOf {
                _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": old.material.plaintext])
            }
            #expect(error?.code == .unauthenticated)
        }
    }

    @Test("Used keys get last_used_at in one batched flush, not on the request")
    func lastUsedAt() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let (interceptor, _, usage) = Self.interceptor(pool)
            let tenantID = try await fixture.tenant()
            let first = try await fixture.key(tenant: tenantID)
            let second = try await fixture.key(tenant: tenantID)
            let unused = try await fixture.key(tenant: tenantID)
            for key in [first, second, first] {
                _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": key.material.plaintext])
            }
            let used: () async throws -> Set<UUID> = {
                try await pool.withAdminTransaction { connection in
                    Set(
                        try await connection.query("SELECT id FROM api_keys WHERE last_used_at IS NOT NULL")
                            .map { try $0.decode("id", as: UUID.self) })
                }
            }
            #expect(try await used().isEmpty)
            #expect(usage.pendingCount == 2)

            let updated = try await usage.flush()

            #expect(updated == 2)
            #expect(try await used() == [first.id, second.id])
            #expect(!(try await used()).contains(unused.id))
            #expect(usage.pendingCount == 0)
        }
    }

    @Test("A remembered credential's use is recorded once per flush, and again after each flush")
    func rememberedUseIsRecordedOncePerFlush() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let (interceptor, _, usage) = Self.interceptor(pool)
            let key = try await fixture.key(tenant: try await fixture.tenant())
            let connection = ConnectionValues()
            let call = {
                _ = try await AuthFixture.call(
                    [interceptor], metadata: ["x-api-key": key.material.plaintext], connection: connection)
            }

            try await call()
            try await call()
            #expect(usage.pendingCount == 1)
            #expect(try await usage.flush() == 1)
            #expect(usage.pendingCount == 0)

            // The connection's memory recorded before the flush; its next call records again.
            try await call()
            #expect(usage.pendingCount == 1)
            #expect(try await usage.flush() == 1)
        }
    }
}
