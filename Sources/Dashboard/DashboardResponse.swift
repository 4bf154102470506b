internal import RPCServer

/// Builders for the dashboard's responses, each with the headers every page carries.
enum DashboardResponse {
    /// The session cookie's name; `__Host-` makes browsers insist on Secure, Path=/ and no Domain.
    static let sessionCookie = "__Host-metachat_session"

    /// Headers on every dashboard response: no framing, no sniffing, scripts and styles only
    /// from the dashboard itself, no referrer to other sites.
    static let securityHeaders: [(name: String, value: String)] = [
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
                + "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
        ),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
    ]

    /// An HTML page; pages are never cached (they show per-user data and secrets shown once).
    static func html(status: Int = 200, _ html: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: [("content-type", "text/html; charset=utf-8"), ("cache-control", "no-store")]
                + Self.securityHeaders + headers,
            body: Array(html.utf8))
    }

    /// A 303 to `location` (after a form post, or to the sign-in page).
    static func redirect(to location: String, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(
            status: 303,
            headers: [("location", location), ("cache-control", "no-store")] + Self.securityHeaders + headers)
    }

    /// The `Set-Cookie` value starting a session that lasts at most `maxAgeSeconds`.
    static func sessionCookie(token: String, maxAgeSeconds: Int) -> (name: String, value: String) {
        (
            "set-cookie",
            "\(Self.sessionCookie)=\(token); Path=/; Max-Age=\(maxAgeSeconds); HttpOnly; Secure; SameSite=Lax"
        )
    }

    /// The `Set-Cookie` value removing the session cookie.
    static var clearedSessionCookie: (name: String, value: String) {
        ("set-cookie", "\(Self.sessionCookie)=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
    }
}
