import Foundation
import RPCServer
import Storage
import Testing

@testable import Handlers

@Suite("Credentials verified once per HTTP/2 connection", .serialized)
struct VerifiedCredentialTests {
    private static func interceptor(_ pool: PostgresPool) -> (AuthenticationInterceptor, KeyDirectory) {
        let directory = KeyDirectory(pool: pool)
        let interceptor = AuthenticationInterceptor(
            directory: directory, usage: KeyUsageRecorder(pool: pool), pepper: AuthFixture.pepper, globalAPIKey: nil)
        return (interceptor, directory)
    }

    @Test("A key remembered on a connection stops working there once the directory hears of its revocation")
    func revocationReachesRememberedKeys() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let (interceptor, directory) = Self.interceptor(pool)
            let tenantID = try await fixture.tenant()
            let key = try await fixture.key(tenant: tenantID)
            let connection = ConnectionValues()
            let metadata = ["x-api-key": key.material.plaintext]

            let first = try await AuthFixture.call([interceptor], metadata: metadata, connection: connection)
            #expect(first.principal != nil)
            #expect(connection[VerifiedCredentialKey.self]?.keyID == key.id)

            try await fixture.execute("UPDATE api_keys SET active = false, revoked_at = now() WHERE id = \(key.id)")
            directory.invalidate(keyID: key.id.uuidString.lowercased())
            let error = await statusOf {
                _ = try await AuthFixture.call([interceptor], metadata: metadata, connection: connection)
            }

            #expect(error?.code == .unauthenticated)
            #expect(error?.message == "The API key has been revoked.")
        }
    }

    @Test("Another credential on the same connection is verified on its own: forged, unknown, wrong header")
    func otherCredentialsAreVerified() async throws {
        try await MigratedDatabase.with { pool in
            let fixture = AuthFixture(pool: pool)
            let (interceptor, _) = Self.interceptor(pool)
            let tenantID = try await fixture.tenant()
            let key = try await fixture.key(tenant: tenantID)
            let otherTenantID = try await fixture.tenant()
            let other = try await fixture.key(tenant: otherTenantID)
            let connection = ConnectionValues()
            let plaintext = key.material.plaintext
            _ = try await AuthFixture.call([interceptor], metadata: ["x-api-key": plaintext], connection: connection)

            let cases: [([String: String], String)] = [
                (["x-api-key": String(plaintext.dropLast(4)) + "AAAA"], "The API key is not valid."),
                (["x-api-key": ApiKeyMaterial(generating: .tenant).plaintext], "The API key is not valid."),
                (["x-admin-key": plaintext], "A tenant key (ten_) must be sent in x-api-key or Authorization: Bearer."),
            ]
            for (metadata, message) in cases {
                let error = await statusOf {
                    _ = try await AuthFixture.call([interceptor], metadata: metadata, connection: connection)
                }
                #expect(error?.code == .unauthenticated)
                #expect(error?.message == message)
            }
            let switched = try await AuthFixture.call(
                [interceptor], metadata: ["authorization": "Bearer " + other.material.plaintext], connection: connection
            )
            let again = try await AuthFixture.call(
                [interceptor], metadata: ["x-api-key": plaintext], connection: connection)

            #expect(
                switched.principal
                    == .tenant(tenantID: otherTenantID.uuidString.lowercased(), keyID: other.id.uuidString.lowercased())
            )
            #expect(
                again.principal
                    == .tenant(tenantID: tenantID.uuidString.lowercased(), keyID: key.id.uuidString.lowercased()))
        }
    }

    @Test("A remembered verification answers only for the same header and bytes, generation, freshness and validity")
    func answers() {
        let caller = AuthenticatedCaller(principal: .tenant(tenantID: "t", keyID: "k"))
        let now = ContinuousClock.now
        func verification(freshFor fresh: Duration = .seconds(60), validFor valid: TimeInterval? = 60)
            -> VerifiedCredential
        {
            VerifiedCredential(
                header: .apiKey, value: "ten_secret", caller: caller, keyID: UUID(), generation: 3,
                freshUntil: now + fresh, validUntil: valid.map { Date(timeIntervalSinceNow: $0) })
        }
        let verified = verification()
        let presented = PresentedCredential(metadata: ["x-api-key": .string("ten_secret")])
        let bearer = PresentedCredential(metadata: ["authorization": .string("Bearer ten_secret")])
        let other = PresentedCredential(metadata: ["x-api-key": .string("ten_secreT")])
        let longer = PresentedCredential(metadata: ["x-api-key": .string("ten_secret1")])
        let stale = verification(freshFor: .milliseconds(-1))
        let expired = verification(validFor: -1)
        let unlimited = verification(validFor: nil)

        #expect(presented.map { verified.answers(for: $0, generation: 3) } == true)
        #expect(presented.map { unlimited.answers(for: $0, generation: 3) } == true)
        #expect(presented.map { verified.answers(for: $0, generation: 4) } == false)
        #expect(bearer.map { verified.answers(for: $0, generation: 3) } == false)
        #expect(other.map { verified.answers(for: $0, generation: 3) } == false)
        #expect(longer.map { verified.answers(for: $0, generation: 3) } == false)
        #expect(presented.map { stale.answers(for: $0, generation: 3) } == false)
        #expect(presented.map { expired.answers(for: $0, generation: 3) } == false)
    }
}
