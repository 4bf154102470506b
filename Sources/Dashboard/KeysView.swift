/// A tenant's API keys (super admins only, as on the API).
struct KeysView: Sendable {
    /// One key's row.
    struct Row: Sendable {
        var id: String
        var label: String
        var prefix: String
        var lastFour: String
        var active: Bool
        var actionBase: String
    }

    var chrome: PageChrome
    var tenantName: String
    var createAction: String
    var rows: [Row]
    var csrfToken: String
    var error: String?
}

/// A page that shows a secret once: a new key, or a rotation token with its confirm button.
/// Served with `Cache-Control: no-store` like every page.
struct SecretView: Sendable {
    var chrome: PageChrome
    var keysHref: String
    /// The new API key, shown this once.
    var apiKey: String?
    /// The rotation token and where to confirm it (step 2 of the rotation).
    var rotationToken: String?
    var confirmAction: String?
    var expiresAt: String?
    var csrfToken: String
}
