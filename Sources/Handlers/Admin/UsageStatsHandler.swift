internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage
internal import SwiftProtobuf

/// Answers `metachat.v1.AdminService.GetUsageStats` for ``AdminHandler``: messages,
/// conversations, documents and the assistant's usage per tenant, model and day.
///
/// Any admin key may read usage; a STANDARD admin sees only the tenants granted to it. Tenant
/// keys are `PERMISSION_DENIED`.
///
/// ```swift
/// let stats = try await UsageStatsHandler(pool: postgres).getUsageStats(request: request, context: context)
/// ```
package struct UsageStatsHandler: Sendable {
    let pool: PostgresPool

    /// Creates the handler.
    ///
    /// - Parameter pool: PostgreSQL, migrated.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Usage counters per tenant over a time range.
    ///
    /// - Throws: `UNAUTHENTICATED` without a key, `PERMISSION_DENIED` for a tenant key,
    ///   `INVALID_ARGUMENT` naming `tenantId`, `startTime` or `endTime`, `NOT_FOUND` for a tenant
    ///   the caller cannot see.
    package func getUsageStats(
        request: Metachat_V1_GetUsageStatsRequest, context: ServerContext
    ) async throws -> Metachat_V1_GetUsageStatsResponse {
        try RequestTextCheck.check(request)
        let standardAdmin: UUID?
        switch context.principal {
        case .admin(let adminID, _, let role):
            standardAdmin = role == .super ? nil : UUID(canonicalText: adminID)
        case .bootstrap:
            standardAdmin = nil
        case .tenant:
            throw RPCError(code: .permissionDenied, message: "GetUsageStats needs an admin key.")
        case nil:
            throw RPCError(code: .unauthenticated, message: "GetUsageStats needs an admin key (x-admin-key).")
        }
        var tenantID: UUID?
        if !request.tenantID.isEmpty {
            guard request.tenantID.utf8.count == 36, let id = UUID(canonicalText: request.tenantID) else {
                throw TenantFieldViolation.error("tenantId", "must be a UUID")
            }
            tenantID = id
        }
        let range = try UsageRange(request)
        var response = try await UsageStatsQuery(
            pool: self.pool, range: range, tenantID: tenantID, standardAdminID: standardAdmin
        ).run()
        response.startTime = Google_Protobuf_Timestamp(date: range.start)
        response.endTime = Google_Protobuf_Timestamp(date: range.end)
        return response
    }
}
