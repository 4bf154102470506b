import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("SecurityHandler: revocation time (ApiKey.revokedAt)")
struct SecurityHandlerRevocationTests {
    private typealias Harness = SecurityTestHarness

    /// How far PostgreSQL's `now()` may be from this process's clock; both read the same host clock.
    private static let clockTolerance: TimeInterval = 1

    @Test("Revoking a tenant key answers revokedAt, the time of the revocation; a second revoke keeps it")
    func tenantKeyRevocationTime() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            let created = try await harness.makeTenantKey(tenantID: tenantID)
            var revoke = Metachat_V1_RevokeTenantApiKeyRequest()
            revoke.tenantID = tenantID
            revoke.keyID = created.id

            let before = Date()
            let first = try await harness.handler.revokeTenantApiKey(
                request: revoke, context: Harness.context(.bootstrap))
            let after = Date()
            let stored = try await harness.revokedAt(created.id)
            let second = try await harness.handler.revokeTenantApiKey(
                request: revoke, context: Harness.context(.bootstrap))

            #expect(!created.key.hasRevokedAt)
            #expect(first.hasRevokedAt && !first.active)
            let revokedAt = first.revokedAt.date
            #expect(revokedAt >= before.addingTimeInterval(-Self.clockTolerance))
            #expect(revokedAt <= after.addingTimeInterval(Self.clockTolerance))
            #expect(second.revokedAt == first.revokedAt)
            #expect(try await harness.revokedAt(created.id) == stored)
            #expect(stored.map { Google_Protobuf_Timestamp(date: $0) } == first.revokedAt)
        }
    }

    @Test("Listings show revokedAt on revoked keys and none on active ones")
    func listingsCarryRevokedAt() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            let kept = try await harness.makeTenantKey(tenantID: tenantID, label: "kept")
            let dropped = try await harness.makeTenantKey(tenantID: tenantID, label: "dropped")
            var revoke = Metachat_V1_RevokeTenantApiKeyRequest()
            revoke.tenantID = tenantID
            revoke.keyID = dropped.id
            let revoked = try await harness.handler.revokeTenantApiKey(
                request: revoke, context: Harness.context(.bootstrap))
            _ = try await harness.handler.revokeTenantApiKey(request: revoke, context: Harness.context(.bootstrap))
            var list = Metachat_V1_ListTenantApiKeysRequest()
            list.tenantID = tenantID
            list.includeRevoked = true

            let listed = try await harness.handler.listTenantApiKeys(
                request: list, context: Harness.context(.bootstrap)
            ).apiKeys

            let byID = Dictionary(uniqueKeysWithValues: listed.map { ($0.id, $0) })
            #expect(Set(byID.keys) == [kept.id, dropped.id])
            #expect(byID[kept.id]?.active == true)
            #expect(byID[kept.id]?.hasRevokedAt == false)
            #expect(byID[dropped.id]?.hasRevokedAt == true)
            #expect(byID[dropped.id]?.revokedAt == revoked.revokedAt)
        }
    }

    @Test("Admin keys: the revoke answer and the listing carry the same revokedAt; a rotated key has none")
    func adminKeyRevocationTime() async throws {
        try await Harness.with { harness in
            let adminID = try await harness.makeAdmin(role: .super)
            let rotated = try await harness.makeAdminKey(adminID: adminID, label: "rotated")
            let dropped = try await harness.makeAdminKey(adminID: adminID, label: "dropped")
            let context = Harness.context(.admin(adminID: adminID, keyID: rotated.id, role: .super))
            var start = Metachat_V1_StartAdminApiKeyRotationRequest()
            start.adminID = adminID
            start.keyID = rotated.id
            var confirm = Metachat_V1_ConfirmAdminApiKeyRotationRequest()
            confirm.adminID = adminID
            confirm.keyID = rotated.id
            confirm.token = try await harness.handler.startAdminApiKeyRotation(request: start, context: context)
                .rotationToken
            let confirmed = try await harness.handler.confirmAdminApiKeyRotation(request: confirm, context: context)
            var revoke = Metachat_V1_RevokeAdminApiKeyRequest()
            revoke.adminID = adminID
            revoke.keyID = dropped.id
            let revoked = try await harness.handler.revokeAdminApiKey(request: revoke, context: context)
            let again = try await harness.handler.revokeAdminApiKey(request: revoke, context: context)
            var list = Metachat_V1_ListAdminApiKeysRequest()
            list.adminID = adminID
            list.includeRevoked = true

            let listed = try await harness.handler.listAdminApiKeys(request: list, context: context).apiKeys

            #expect(confirmed.key.active && confirmed.key.hasRotatedAt && !confirmed.key.hasRevokedAt)
            #expect(revoked.hasRevokedAt && again.revokedAt == revoked.revokedAt)
            let byID = Dictionary(uniqueKeysWithValues: listed.map { ($0.id, $0) })
            #expect(byID[rotated.id]?.hasRevokedAt == false)
            #expect(byID[dropped.id]?.revokedAt == revoked.revokedAt)
        }
    }
}
