/// The column values an insert or update of a channel writes; `nil` leaves a column as it is
/// (an insert: its default). Credentials are already sealed.
struct ChannelWrite: Sendable {
    var name: String?
    var enabled: Bool?
    var allowedOrigins: [String]?
    var greeting: String?
    var phoneNumberID: String?
    var businessAccountID: String?
    var pageID: String?
    var accessToken: SealedCredential?
    var appSecret: SealedCredential?
    var verifyToken: SealedCredential?

    /// A credential's sealed form with the last four characters of its text.
    struct SealedCredential: Sendable {
        var sealed: String
        var lastFour: String
    }

    /// The `text[]` literal of origins (validated origins hold no quote, comma or brace).
    static func originsLiteral(_ origins: [String]) -> String {
        "{" + origins.map { "\"\($0)\"" }.joined(separator: ",") + "}"
    }
}
