package import FoundationEssentials

/// A signed-in dashboard user, as a request's session cookie resolved it.
package struct DashboardSession: Sendable, Hashable {
    /// The user's id.
    package var userID: UUID
    /// The user's email.
    package var email: String
    /// The user's role.
    package var role: DashboardRole
    /// The tenant of a tenant-scoped role.
    package var tenantID: UUID?
    /// The token every unsafe request of the session must carry.
    package var csrfToken: String

    /// Creates a session value.
    package init(userID: UUID, email: String, role: DashboardRole, tenantID: UUID?, csrfToken: String) {
        self.userID = userID
        self.email = email
        self.role = role
        self.tenantID = tenantID
        self.csrfToken = csrfToken
    }

    /// Whether the session may see tenant `id`: a super admin every tenant, the others their own.
    package func reaches(tenant id: UUID) -> Bool {
        !self.role.isTenantScoped || self.tenantID == id
    }
}
