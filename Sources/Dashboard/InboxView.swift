/// The live inbox of one tenant: the views with their counts, and the chosen view's
/// conversations, longest waiting first.
struct InboxView: Sendable {
    /// A view's tab.
    struct Tab: Sendable {
        var label: String
        var count: Int
        var href: String
        var current: Bool
    }

    /// A conversation's row.
    struct Row: Sendable {
        var href: String
        var title: String
        var user: String
        var channel: String
        var status: String
        var assignee: String
        var waiting: String
        var messages: Int
    }

    var chrome: PageChrome
    var tenantName: String
    var tabs: [Tab]
    var rows: [Row]
    var empty: Bool
    /// The SSE route, with the position the page was read at.
    var liveURL: String
}
