internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage

/// Answers `metachat.v1.SecurityService`: admin users, admin API keys and tenant API keys, with
/// two-step rotation.
///
/// Who may call what: admin-user RPCs need a SUPER admin; a SUPER admin manages every admin's keys
/// and a STANDARD admin only their own; tenant-key RPCs accept any admin. Every change writes an
/// `audit_log` row in its transaction and, once committed, is announced to the ``KeyChangeListener``
/// so authentication caches drop the key on every instance.
///
/// ```swift
/// let security = SecurityHandler(pool: pool, pepper: pepper.bytes, keyEvents: redisKeyEvents)
/// security.registerMethods(with: &router)
/// ```
package struct SecurityHandler: Metachat_V1_SecurityService.Handler {
    let adminUsers: AdminUserStore
    let apiKeys: ApiKeyStore
    let rotationTokenLifetime: Duration
    let rotationGracePeriod: Duration
    let keyEvents: any KeyChangeListener

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated to the identity schema.
    ///   - pepper: The server's secret pepper (``ApiKeyPepper/bytes``) for key and token hashes.
    ///   - rotationTokenLifetime: How long a rotation token stays valid when the request sets no
    ///     `tokenTtl`; 15 minutes unless given.
    ///   - rotationGracePeriod: How long the secret a rotation replaced keeps working; zero (the
    ///     default) ends it at confirmation.
    ///   - keyEvents: Told about every key change after it committed.
    package init(
        pool: PostgresPool,
        pepper: [UInt8],
        rotationTokenLifetime: Duration = .seconds(15 * 60),
        rotationGracePeriod: Duration = .zero,
        keyEvents: some KeyChangeListener
    ) {
        self.adminUsers = AdminUserStore(pool: pool)
        self.apiKeys = ApiKeyStore(pool: pool, pepper: pepper)
        self.rotationTokenLifetime = rotationTokenLifetime
        self.rotationGracePeriod = rotationGracePeriod
        self.keyEvents = keyEvents
    }

    package func listAdminUsers(
        request: Metachat_V1_ListAdminUsersRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ListAdminUsersResponse {
        try RequestTextCheck.check(request)
        _ = try context.requireSuperAdmin()
        let page = try PageRequest(size: request.pageSize, token: request.pageToken)
        let (users, hasMore) = try await self.adminUsers.list(page: page)
        var response = Metachat_V1_ListAdminUsersResponse()
        response.adminUsers = users.map(\.message)
        response.nextPageToken = page.nextToken(hasMore: hasMore)
        return response
    }

    package func createAdminUser(
        request: Metachat_V1_CreateAdminUserRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_AdminUser {
        try RequestTextCheck.check(request)
        let principal = try context.requireSuperAdmin()
        let email = try SecurityInput.email(request.email)
        guard let role = AdminUserRecord.storedRole(request.role) else {
            throw RPCError(
                code: .invalidArgument, message: "role is required: ADMIN_ROLE_SUPER or ADMIN_ROLE_STANDARD.")
        }
        let user = try await self.adminUsers.create(
            email: email, role: role, actor: AuditActor(principal: principal, context: context))
        return user.message
    }
}

extension AuditActor {
    /// The actor of a call: the admin user's id, or `bootstrap` for the global key.
    init(principal: Principal, context: ServerContext) {
        let name =
            switch principal {
            case .admin(let adminID, _, _): adminID
            case .bootstrap: "bootstrap"
            case .tenant(let tenantID, _): "tenant:\(tenantID)"
            }
        self.init(name: name, requestID: context.requestID)
    }
}
