/// What a dashboard user may do.
///
/// | role | reaches | may act |
/// | --- | --- | --- |
/// | super admin | every tenant, dashboard users | yes |
/// | tenant admin | its tenant (settings, keys, inbox) | yes |
/// | agent | its tenant's inbox | on conversations |
/// | viewer | its tenant, read only | no |
package struct DashboardRole: Sendable, Hashable, CustomStringConvertible {
    private enum Value: String, Sendable, Hashable, CaseIterable {
        case superAdmin = "super_admin"
        case tenantAdmin = "tenant_admin"
        case agent = "agent"
        case viewer = "viewer"
    }

    private let value: Value

    /// Every tenant and dashboard user.
    package static let superAdmin = DashboardRole(value: .superAdmin)
    /// One tenant: settings, keys and inbox.
    package static let tenantAdmin = DashboardRole(value: .tenantAdmin)
    /// One tenant's inbox.
    package static let agent = DashboardRole(value: .agent)
    /// One tenant, read only.
    package static let viewer = DashboardRole(value: .viewer)

    /// The role stored under `name` (`super_admin`, `tenant_admin`, `agent`, `viewer`), if any.
    package init?(name: String) {
        guard let value = Value(rawValue: name) else { return nil }
        self.value = value
    }

    private init(value: Value) {
        self.value = value
    }

    /// Every role's stored name.
    package static var names: [String] { Value.allCases.map(\.rawValue) }

    /// The stored name, e.g. `tenant_admin`.
    package var name: String { self.value.rawValue }

    package var description: String { self.name }

    /// What people read, e.g. `Tenant admin`.
    package var label: String {
        switch self.value {
        case .superAdmin: "Super admin"
        case .tenantAdmin: "Tenant admin"
        case .agent: "Agent"
        case .viewer: "Viewer"
        }
    }

    /// Whether the role belongs to exactly one tenant.
    package var isTenantScoped: Bool { self.value != .superAdmin }

    /// Whether the role may change tenants, keys and settings (its own tenant's, or all).
    package var mayAdminister: Bool { self.value == .superAdmin || self.value == .tenantAdmin }

    /// Whether the role may work conversations (assign, reply, resolve).
    package var mayActOnConversations: Bool { self.value != .viewer }
}
