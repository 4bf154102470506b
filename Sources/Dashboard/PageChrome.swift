/// What every page's header shows.
struct PageChrome: Sendable {
    /// The signed-in user shown in the header.
    struct SignedIn: Sendable {
        var email: String
        var roleLabel: String
        var csrfToken: String
    }

    /// The page title (also the `h1`).
    var title: String
    /// The user, on pages behind sign-in.
    var signedIn: SignedIn?

    init(title: String, session: DashboardSession?) {
        self.title = title
        self.signedIn = session.map {
            SignedIn(email: $0.email, roleLabel: $0.role.label, csrfToken: $0.csrfToken)
        }
    }
}
