import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import Testing

@Suite("SecurityHandler: who may call what")
struct SecurityHandlerAccessTests {
    private typealias Harness = SecurityTestHarness

    @Test("Without credentials every call is UNAUTHENTICATED; a tenant key gets PERMISSION_DENIED")
    func callersWithoutAdminKey() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            var request = Metachat_V1_ListTenantApiKeysRequest()
            request.tenantID = tenantID

            await expectRPCError(.unauthenticated) {
                try await harness.handler.listTenantApiKeys(request: request, context: Harness.context(nil))
            }
            await expectRPCError(.permissionDenied) {
                try await harness.handler.listTenantApiKeys(
                    request: request, context: Harness.context(.tenant(tenantID: tenantID, keyID: "k")))
            }
            await expectRPCError(.unauthenticated) {
                try await harness.handler.listAdminUsers(
                    request: Metachat_V1_ListAdminUsersRequest(), context: Harness.context(nil))
            }
        }
    }

    @Test("Admin users are SUPER only: a STANDARD admin can neither list nor create them")
    func adminUsersNeedSuper() async throws {
        try await Harness.with { harness in
            let standardID = try await harness.makeAdmin(role: .standard)
            let standard = Harness.context(.admin(adminID: standardID, keyID: "k", role: .standard))
            var create = Metachat_V1_CreateAdminUserRequest()
            create.email = "new@example.com"
            create.role = .standard

            await expectRPCError(.permissionDenied) {
                try await harness.handler.listAdminUsers(
                    request: Metachat_V1_ListAdminUsersRequest(), context: standard)
            }
            await expectRPCError(.permissionDenied) {
                try await harness.handler.createAdminUser(request: create, context: standard)
            }
            let listed = try await harness.handler.listAdminUsers(
                request: Metachat_V1_ListAdminUsersRequest(), context: Harness.context(.bootstrap))
            #expect(listed.adminUsers.map(\.id) == [standardID])
        }
    }

    @Test("A STANDARD admin manages only their own keys: another admin's keys are PERMISSION_DENIED")
    func standardAdminOwnKeysOnly() async throws {
        try await Harness.with { harness in
            let standardID = try await harness.makeAdmin(role: .standard)
            let otherID = try await harness.makeAdmin(role: .super)
            let otherKey = try await harness.makeAdminKey(adminID: otherID)
            let standard = Harness.context(.admin(adminID: standardID, keyID: "k", role: .standard))

            var create = Metachat_V1_CreateAdminApiKeyRequest()
            create.adminID = otherID
            create.label = "mine now"
            var list = Metachat_V1_ListAdminApiKeysRequest()
            list.adminID = otherID
            var revoke = Metachat_V1_RevokeAdminApiKeyRequest()
            revoke.adminID = otherID
            revoke.keyID = otherKey.id
            var start = Metachat_V1_StartAdminApiKeyRotationRequest()
            start.adminID = otherID
            start.keyID = otherKey.id
            var confirm = Metachat_V1_ConfirmAdminApiKeyRotationRequest()
            confirm.adminID = otherID
            confirm.keyID = otherKey.id
            confirm.token = "rot_x"

            await expectRPCError(.permissionDenied) {
                try await harness.handler.createAdminApiKey(request: create, context: standard)
            }
            await expectRPCError(.permissionDenied) {
                try await harness.handler.listAdminApiKeys(request: list, context: standard)
            }
            await expectRPCError(.permissionDenied) {
                try await harness.handler.revokeAdminApiKey(request: revoke, context: standard)
            }
            await expectRPCError(.permissionDenied) {
                try await harness.handler.startAdminApiKeyRotation(request: start, context: standard)
            }
            await expectRPCError(.permissionDenied) {
                try await harness.handler.confirmAdminApiKeyRotation(request: confirm, context: standard)
            }
            #expect(try await harness.storedKey(otherKey.id).pendingTokenHash == nil)

            create.adminID = standardID
            let own = try await harness.handler.createAdminApiKey(request: create, context: standard)
            list.adminID = standardID
            let listed = try await harness.handler.listAdminApiKeys(request: list, context: standard)
            #expect(listed.apiKeys.map(\.id) == [own.id])
        }
    }

    @Test("Any admin may manage tenant keys")
    func standardAdminManagesTenantKeys() async throws {
        try await Harness.with { harness in
            let standardID = try await harness.makeAdmin(role: .standard)
            let tenantID = try await harness.makeTenant()
            var create = Metachat_V1_CreateTenantApiKeyRequest()
            create.tenantID = tenantID
            create.label = "widget"

            let created = try await harness.handler.createTenantApiKey(
                request: create,
                context: Harness.context(.admin(adminID: standardID, keyID: "k", role: .standard), requestID: "r-9"))

            #expect(created.apiKey.hasPrefix("ten_"))
            #expect(created.key.ownerKind == .tenant && created.key.ownerID == tenantID && created.key.active)
            let audit = try await harness.audit(target: created.id)
            #expect(
                audit == [
                    .init(
                        actor: standardID, action: "api_key.created", requestID: "r-9",
                        tenantID: UUID(uuidString: tenantID))
                ])
        }
    }
}
