/// The tenants page: every tenant for a super admin, the user's own otherwise.
struct TenantsView: Sendable {
    /// One row of the table.
    struct Item: Sendable {
        var id: String
        var name: String
        var status: String
        var canToggle: Bool
        var toggleAction: String
        var toggleLabel: String
        var csrfToken: String
    }

    var chrome: PageChrome
    var tenants: [Item]
    var count: Int
    var canAdminister: Bool
    var canCreate: Bool
    var csrfToken: String
    var error: String?
}
