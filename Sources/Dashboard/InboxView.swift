internal import Mustache

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

/// The rows are looked up by key rather than through swift-mustache's `Mirror` reflection: the
/// inbox renders up to 500 of them per page (docs/benchmarks.md, "Dashboard").
extension InboxView.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "href": self.href
        case "title": self.title
        case "user": self.user
        case "channel": self.channel
        case "status": self.status
        case "assignee": self.assignee
        case "waiting": self.waiting
        case "messages": self.messages
        default: nil
        }
    }
}
