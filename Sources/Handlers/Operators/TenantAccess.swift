package import FoundationEssentials
internal import Storage

/// The tenant a tenant-scoped call acts on, and who acts on it: a tenant key on its own tenant,
/// or an operator (an admin key) on the tenant it named in `x-tenant-id`
/// (``TenantAccessResolver``).
///
/// Handlers run the call's SQL in `PostgresPool.withTenantTransaction(tenantID:)` for
/// ``tenantID`` whoever calls, so row-level security keeps an operator inside the tenant it
/// named. The resolver has audited an operator's call by then.
package struct TenantAccess: Sendable, Hashable {
    /// The tenant the call acts on.
    package var tenantID: UUID
    /// Who acts, as the audit log and events name them: the admin user's ID, `bootstrap`, or
    /// `tenant:<id>` for a tenant key.
    package var actor: String
    /// Whether an admin key acts on the tenant's data (every such call is audited).
    package var isOperator: Bool

    /// Creates an access.
    ///
    /// - Parameters:
    ///   - tenantID: The tenant the call acts on.
    ///   - actor: Who acts.
    ///   - isOperator: Whether an admin key acts.
    package init(tenantID: UUID, actor: String, isOperator: Bool) {
        self.tenantID = tenantID
        self.actor = actor
        self.isOperator = isOperator
    }

    /// The tenant's ID as the API writes it (lower case).
    package var tenantIDText: String { self.tenantID.lowercasedString }
}
