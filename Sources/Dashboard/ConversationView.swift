/// One conversation: its messages and private notes, what the user may do, the composer.
struct ConversationView: Sendable {
    /// A message bubble.
    struct Bubble: Sendable {
        var id: String
        var role: String
        var roleClass: String
        var author: String
        var text: String
    }

    /// A private note.
    struct Note: Sendable {
        var author: String
        var text: String
        var createdAt: String
    }

    var chrome: PageChrome
    var tenantID: String
    var conversationID: String
    var inboxHref: String
    var actionBase: String
    var status: String
    var assignee: String
    var bubbles: [Bubble]
    var notes: [Note]
    var csrfToken: String
    var canAct: Bool
    var canAssign: Bool
    var canHandBack: Bool
    var canResolve: Bool
    var canReopen: Bool
    var canReply: Bool
    var error: String?
    var liveURL: String
}
