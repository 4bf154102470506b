/// Hears that a tenant changed (created, updated, disabled), after the change was committed, so
/// caches keyed by tenant (authentication, rate limits, settings) can drop what they hold.
package protocol TenantChangeListener: Sendable {
    /// Called once per committed change.
    ///
    /// - Parameter tenantID: The tenant's ID, a lower-case UUID string.
    func tenantChanged(tenantID: String) async
}

/// A ``TenantChangeListener`` that does nothing, for servers and tests without tenant caches.
package struct IgnoringTenantChangeListener: TenantChangeListener {
    /// Creates the listener.
    package init() {}

    package func tenantChanged(tenantID: String) async {}
}
