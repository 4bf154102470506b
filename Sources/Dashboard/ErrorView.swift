/// A page saying what went wrong.
struct ErrorView: Sendable {
    var chrome: PageChrome
    var message: String
}
