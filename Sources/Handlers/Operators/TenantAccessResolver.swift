internal import FoundationEssentials
internal import MetaChatAPI
package import RPCServer
package import Storage

/// Decides which tenant a tenant-scoped call acts on, the same way for every tenant-scoped
/// service (conversations now; documents, channels, webhooks later):
///
/// | caller | `x-tenant-id` | acts on |
/// | --- | --- | --- |
/// | tenant key | absent or its own tenant | its own tenant |
/// | tenant key | another tenant | nothing: `NOT_FOUND`, as for an unknown tenant |
/// | SUPER admin, `GLOBAL_API_KEY` | a tenant | that tenant (`NOT_FOUND` when it does not exist) |
/// | STANDARD admin | a tenant granted to it | that tenant; not granted: `PERMISSION_DENIED` |
/// | admin | absent | nothing: `INVALID_ARGUMENT` naming `x-tenant-id` |
/// | none | — | nothing: `UNAUTHENTICATED` |
///
/// The header (gRPC metadata of the same name) must be a UUID. Operators' calls are then audited
/// by the handler (``TenantAccess/auditOperatorCall(_:target:requestID:on:)``).
package struct TenantAccessResolver: Sendable {
    /// The header (metadata key) naming the tenant an admin key acts on.
    package static let tenantHeader = "x-tenant-id"

    private let pool: PostgresPool

    /// Creates a resolver.
    ///
    /// - Parameter pool: Where tenants and grants are stored.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The tenant the call acts on; audits an operator's call.
    ///
    /// - Parameters:
    ///   - context: The call.
    ///   - target: The ID of the object the call names (e.g. a conversation), for the audit entry;
    ///     `nil` or empty for the tenant itself.
    /// - Throws: `UNAUTHENTICATED`, `INVALID_ARGUMENT`, `NOT_FOUND` or `PERMISSION_DENIED` as the
    ///   table above says; `UNAVAILABLE` when PostgreSQL is.
    package func resolve(_ context: ServerContext, target: String? = nil) async throws -> TenantAccess {
        guard let principal = context.principal else {
            throw RPCError(
                code: .unauthenticated,
                message:
                    "This call needs a tenant key (x-api-key or Authorization: Bearer), or an admin key with x-tenant-id."
            )
        }
        let header = context.requestMetadata.firstString(forKey: Self.tenantHeader)
        switch principal {
        case .tenant(let own, _):
            guard let ownID = UUID(canonicalText: own) else {
                throw RPCError(code: .internalError, message: RPCError.unknownErrorMessage)
            }
            if let header, !header.isEmpty, UUID(canonicalText: header) != ownID {
                throw RPCError(code: .notFound, message: "Tenant \(Self.display(header)) was not found.")
            }
            return TenantAccess(tenantID: ownID, actor: "tenant:\(own)", isOperator: false)
        case .admin(let adminID, _, let role):
            let access = TenantAccess(tenantID: try Self.tenantID(header), actor: adminID, isOperator: true)
            try await self.admit(
                access, standardAdminID: role == .super ? nil : adminID, context: context, target: target)
            return access
        case .bootstrap:
            let access = TenantAccess(tenantID: try Self.tenantID(header), actor: "bootstrap", isOperator: true)
            try await self.admit(access, standardAdminID: nil, context: context, target: target)
            return access
        }
    }

    private static func tenantID(_ header: String?) throws -> UUID {
        guard let header, !header.isEmpty else {
            throw RPCError(
                code: .invalidArgument,
                message: "x-tenant-id is required with an admin key: it names the tenant whose data the call reaches."
            )
        }
        guard header.utf8.count == 36, let id = UUID(canonicalText: header) else {
            throw RPCError(code: .invalidArgument, message: "x-tenant-id must be a UUID.")
        }
        return id
    }

    /// Checks that the tenant exists and, for a STANDARD admin, that it is granted; then writes
    /// the audit entry, in one transaction.
    private func admit(
        _ access: TenantAccess, standardAdminID: String?, context: ServerContext, target: String?
    ) async throws {
        let adminID = standardAdminID.flatMap(UUID.init(canonicalText:))
        let tenantID = access.tenantID
        let action = "operator.\(context.descriptor.method)"
        let auditTarget = target.flatMap { $0.isEmpty ? nil : $0 } ?? access.tenantIDText
        let requestID = context.requestID.isEmpty ? nil : context.requestID
        let granted: Bool?
        do {
            granted = try await self.pool.withAdminTransaction { connection in
                let row = try await connection.query(
                    """
                    SELECT EXISTS (SELECT 1 FROM admin_tenant_grants WHERE admin_id = \(adminID) AND tenant_id = t.id)
                        AS granted
                    FROM tenants t WHERE t.id = \(tenantID)
                    """
                ).first
                let granted = try row?.decode("granted", as: Bool.self)
                try await AuditEntry(
                    actor: access.actor, action: action, target: auditTarget, tenantID: tenantID, requestID: requestID,
                    details: [
                        "method": context.descriptor.path,
                        "outcome": granted == nil
                            ? "tenant not found" : (adminID != nil && granted == false ? "not granted" : "admitted"),
                    ]
                ).write(on: connection)
                return granted
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
        guard let granted else {
            throw RPCError(code: .notFound, message: "Tenant \(access.tenantIDText) was not found.")
        }
        if adminID != nil, !granted {
            throw RPCError(
                code: .permissionDenied,
                message:
                    "This STANDARD admin is not granted tenant \(access.tenantIDText) (SecurityService.GrantTenantAccess)."
            )
        }
    }

    /// A header value fit for an error message: a UUID in lower case, anything else not repeated.
    private static func display(_ header: String) -> String {
        UUID(canonicalText: header).map { $0.lowercasedString } ?? "named by x-tenant-id"
    }
}
