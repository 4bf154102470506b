/// Told when a tenant was enabled, disabled, deleted or had its rate-limit settings changed, so
/// every server instance drops what it cached about the tenant's keys.
///
/// The tenant handlers call it after their transaction committed; ``RedisKeyInvalidation``
/// implements it by publishing the tenant's id to every instance.
public protocol TenantChangeListener: Sendable {
    /// The tenant `tenantID` changed in PostgreSQL.
    ///
    /// - Parameter tenantID: The tenant's id (`tenants.id`).
    func tenantChanged(tenantID: String) async
}
