package import MetaChatAPI
package import RPCServer

/// Who is calling, as the authentication interceptor established it from `x-admin-key`,
/// `x-api-key` or `Authorization: Bearer`. Handlers read it from the call context and decide
/// what the caller may do; they never look at key material themselves.
package enum Principal: Sendable, Equatable {
    /// An admin user's key.
    case admin(adminID: String, keyID: String, role: Metachat_V1_AdminRole)
    /// The `GLOBAL_API_KEY` from the environment: a bootstrap super admin with no user row.
    case bootstrap
    /// A tenant's key.
    case tenant(tenantID: String, keyID: String)

    /// Whether the caller has super-admin rights.
    package var isSuperAdmin: Bool {
        switch self {
        case .bootstrap: true
        case .admin(_, _, let role): role == .super
        case .tenant: false
        }
    }

    /// Whether the caller is an admin of any role.
    package var isAdmin: Bool {
        switch self {
        case .bootstrap, .admin: true
        case .tenant: false
        }
    }
}

extension ServerContext {
    /// The authenticated caller with its rate-limit details, or `nil` on a call that carried no
    /// credentials.
    package var caller: AuthenticatedCaller? {
        get { self.values[AuthenticatedCallerKey.self] }
        set { self.values[AuthenticatedCallerKey.self] = newValue }
    }

    /// Who is calling, or `nil` on a call that carried no credentials. Setting it replaces the
    /// ``caller`` with one that has no rate-limit override.
    package var principal: Principal? {
        get { self.caller?.principal }
        set { self.caller = newValue.map { AuthenticatedCaller(principal: $0) } }
    }

    /// The caller, who must be an admin.
    ///
    /// - Throws: `UNAUTHENTICATED` without credentials, `PERMISSION_DENIED` for tenant keys.
    package func requireAdmin() throws -> Principal {
        guard let principal = self.principal else {
            throw RPCError(code: .unauthenticated, message: "This call needs an admin key in x-admin-key.")
        }
        guard principal.isAdmin else {
            throw RPCError(
                code: .permissionDenied, message: "This call needs an admin key; a tenant key cannot make it.")
        }
        return principal
    }

    /// The caller, who must be a SUPER admin (or the bootstrap key).
    ///
    /// - Throws: `UNAUTHENTICATED` without credentials, `PERMISSION_DENIED` otherwise.
    package func requireSuperAdmin() throws -> Principal {
        let principal = try self.requireAdmin()
        guard principal.isSuperAdmin else {
            throw RPCError(code: .permissionDenied, message: "This call needs a SUPER admin key.")
        }
        return principal
    }

    /// The caller, who must be an admin or the tenant `tenantID` itself. Another tenant's key
    /// gets `NOT_FOUND`, so tenants cannot learn which ids exist.
    ///
    /// - Parameter tenantID: The tenant the call reads or changes.
    /// - Throws: `UNAUTHENTICATED` without credentials, `NOT_FOUND` for a foreign tenant.
    package func requireAccess(toTenant tenantID: String) throws -> Principal {
        guard let principal = self.principal else {
            throw RPCError(
                code: .unauthenticated,
                message: "This call needs a tenant key (x-api-key or Authorization: Bearer) or an admin key."
            )
        }
        if case .tenant(let own, _) = principal, own != tenantID {
            throw RPCError(code: .notFound, message: "Tenant \(tenantID) was not found.")
        }
        return principal
    }
}
