/// How the audit log names who made a tenant change.
enum TenantAuditActor {
    /// The admin user's ID, `bootstrap` for the `GLOBAL_API_KEY`, or `tenant:<id>` for a tenant key.
    static func name(of principal: Principal) -> String {
        switch principal {
        case .admin(let adminID, _, _): adminID
        case .bootstrap: "bootstrap"
        case .tenant(let tenantID, _): "tenant:\(tenantID)"
        }
    }
}
