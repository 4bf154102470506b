internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
internal import Storage

extension SecurityHandler {
    package func grantTenantAccess(
        request: Metachat_V1_GrantTenantAccessRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_AdminUser {
        try RequestTextCheck.check(request)
        let principal = try context.requireSuperAdmin()
        let adminID = try SecurityInput.uuid(request.adminID, field: "adminId")
        let tenantID = try SecurityInput.uuid(request.tenantID, field: "tenantId")
        guard
            let user = try await self.adminUsers.grant(
                adminID: adminID, tenantID: tenantID, actor: AuditActor(principal: principal, context: context))
        else { throw Self.adminNotFound(adminID) }
        return user.message
    }

    package func revokeTenantAccess(
        request: Metachat_V1_RevokeTenantAccessRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_AdminUser {
        try RequestTextCheck.check(request)
        let principal = try context.requireSuperAdmin()
        let adminID = try SecurityInput.uuid(request.adminID, field: "adminId")
        let tenantID = try SecurityInput.uuid(request.tenantID, field: "tenantId")
        guard
            let user = try await self.adminUsers.revokeGrant(
                adminID: adminID, tenantID: tenantID, actor: AuditActor(principal: principal, context: context))
        else { throw Self.adminNotFound(adminID) }
        return user.message
    }

    private static func adminNotFound(_ id: UUID) -> RPCError {
        RPCError(code: .notFound, message: "Admin user \(id.lowercasedString) was not found.")
    }
}
