import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import Testing

@Suite("SecurityHandler: tenant grants of STANDARD admins")
struct SecurityHandlerTenantGrantTests {
    private typealias Harness = SecurityTestHarness

    private static func grant(_ adminID: String, _ tenantID: String) -> Metachat_V1_GrantTenantAccessRequest {
        var request = Metachat_V1_GrantTenantAccessRequest()
        request.adminID = adminID
        request.tenantID = tenantID
        return request
    }

    private static func revoke(_ adminID: String, _ tenantID: String) -> Metachat_V1_RevokeTenantAccessRequest {
        var request = Metachat_V1_RevokeTenantAccessRequest()
        request.adminID = adminID
        request.tenantID = tenantID
        return request
    }

    @Test("A SUPER admin grants and revokes tenants; each change is audited once, repeats change nothing")
    func grantAndRevoke() async throws {
        try await Harness.with { harness in
            let standardID = try await harness.makeAdmin(role: .standard)
            let tenantA = try await harness.makeTenant()
            let tenantB = try await harness.makeTenant()
            let superAdmin = Harness.context(.admin(adminID: UUID().uuidString.lowercased(), keyID: "k", role: .super))

            _ = try await harness.handler.grantTenantAccess(
                request: Self.grant(standardID, tenantA), context: superAdmin)
            let twice = try await harness.handler.grantTenantAccess(
                request: Self.grant(standardID, tenantA.uppercased()), context: superAdmin)
            let both = try await harness.handler.grantTenantAccess(
                request: Self.grant(standardID, tenantB), context: Harness.context(.bootstrap))

            #expect(twice.grantedTenantIds == [tenantA])
            #expect(both.grantedTenantIds == [tenantA, tenantB].sorted())
            let listed = try await harness.handler.listAdminUsers(
                request: Metachat_V1_ListAdminUsersRequest(), context: Harness.context(.bootstrap))
            #expect(listed.adminUsers.first { $0.id == standardID }?.grantedTenantIds == [tenantA, tenantB].sorted())

            let revoked = try await harness.handler.revokeTenantAccess(
                request: Self.revoke(standardID, tenantA), context: superAdmin)
            let again = try await harness.handler.revokeTenantAccess(
                request: Self.revoke(standardID, tenantA), context: superAdmin)
            #expect(revoked.grantedTenantIds == [tenantB])
            #expect(again.grantedTenantIds == [tenantB])

            let audit = try await harness.audit(target: standardID).filter { $0.action.hasPrefix("admin_user.tenant_") }
            #expect(
                audit.map(\.action) == [
                    "admin_user.tenant_granted", "admin_user.tenant_granted", "admin_user.tenant_revoked",
                ])
            #expect(audit.map(\.tenantID) == [tenantA, tenantB, tenantA].map { UUID(uuidString: $0) })
        }
    }

    @Test("Granting needs a SUPER admin, a STANDARD grantee and an existing tenant; ids must be UUIDs")
    func refusals() async throws {
        try await Harness.with { harness in
            let standardID = try await harness.makeAdmin(role: .standard)
            let superID = try await harness.makeAdmin(role: .super)
            let tenantID = try await harness.makeTenant()
            let standard = Harness.context(.admin(adminID: standardID, keyID: "k", role: .standard))
            let root = Harness.context(.bootstrap)

            await expectRPCError(.permissionDenied) {
                try await harness.handler.grantTenantAccess(
                    request: Self.grant(standardID, tenantID), context: standard)
            }
            await expectRPCError(.permissionDenied) {
                try await harness.handler.revokeTenantAccess(
                    request: Self.revoke(standardID, tenantID),
                    context: Harness.context(.tenant(tenantID: tenantID, keyID: "k")))
            }
            await expectRPCError(.unauthenticated) {
                try await harness.handler.grantTenantAccess(
                    request: Self.grant(standardID, tenantID), context: Harness.context(nil))
            }
            await expectRPCError(.failedPrecondition, "SUPER admin") {
                try await harness.handler.grantTenantAccess(request: Self.grant(superID, tenantID), context: root)
            }
            let unknown = UUID().uuidString.lowercased()
            await expectRPCError(.notFound, "Tenant \(unknown)") {
                try await harness.handler.grantTenantAccess(request: Self.grant(standardID, unknown), context: root)
            }
            await expectRPCError(.notFound, "Admin user \(unknown)") {
                try await harness.handler.grantTenantAccess(request: Self.grant(unknown, tenantID), context: root)
            }
            await expectRPCError(.notFound, "Admin user \(unknown)") {
                try await harness.handler.revokeTenantAccess(request: Self.revoke(unknown, tenantID), context: root)
            }
            await expectRPCError(.invalidArgument, "adminId must be a UUID") {
                try await harness.handler.grantTenantAccess(request: Self.grant("nope", tenantID), context: root)
            }
            await expectRPCError(.invalidArgument, "tenantId is required") {
                try await harness.handler.revokeTenantAccess(request: Self.revoke(standardID, ""), context: root)
            }
            await expectRPCError(.invalidArgument, "tenantId must not contain control characters") {
                try await harness.handler.grantTenantAccess(request: Self.grant(standardID, "a\u{0}b"), context: root)
            }

            let listed = try await harness.handler.listAdminUsers(
                request: Metachat_V1_ListAdminUsersRequest(), context: root)
            #expect(listed.adminUsers.allSatisfy { $0.grantedTenantIds.isEmpty })
            #expect(try await harness.audit(target: standardID).map(\.action) == ["admin_user.created"])
        }
    }
}
