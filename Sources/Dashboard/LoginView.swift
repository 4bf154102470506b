/// The sign-in page.
struct LoginView: Sendable {
    var chrome = PageChrome(title: "Sign in", session: nil)
    /// Why the last attempt failed, if it did.
    var error: String?
    /// The email typed last, kept in the field.
    var email: String = ""
}
