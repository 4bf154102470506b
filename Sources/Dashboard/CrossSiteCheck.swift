package import RPCServer

/// Refuses unsafe requests that a browser sent from another site.
///
/// A browser marks where a request came from with `Sec-Fetch-Site` (modern browsers) and
/// `Origin` (every cross-origin request and every POST). An unsafe request (anything but GET,
/// HEAD, OPTIONS) passes only when `Sec-Fetch-Site`, if present, is `same-origin` or `none`
/// (typed by the user), and `Origin`, if present, is the dashboard's own origin: the host the
/// request names (`Host`, or `X-Forwarded-Host` from a trusted proxy). Requests without either
/// header come from programs, not browsers, and still need the session's CSRF token.
package enum CrossSiteCheck {
    /// Why a request was refused, or `nil` when it may go on.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - host: The host (and port) the dashboard is addressed by in this request.
    package static func refusal(for request: HTTPRequest, host: String?) -> String? {
        if let site = request.header("sec-fetch-site")?.lowercased(), site != "same-origin", site != "none" {
            return "Cross-site requests are refused (Sec-Fetch-Site: \(site.prefix(20)))."
        }
        if let origin = request.header("origin") {
            guard let host, let originHost = Self.host(ofOrigin: origin), originHost == host.lowercased() else {
                return "Requests from another origin are refused."
            }
        }
        return nil
    }

    /// The `host[:port]` of an origin such as `https://chat-admin.example.com`, lower-cased;
    /// `nil` for `null` and anything that is not http(s).
    static func host(ofOrigin origin: String) -> String? {
        let lowered = origin.lowercased()
        for scheme in ["https://", "http://"] where lowered.hasPrefix(scheme) {
            let rest = lowered.dropFirst(scheme.count)
            guard !rest.isEmpty, !rest.contains("/") else { return nil }
            if scheme == "https://", rest.hasSuffix(":443") { return String(rest.dropLast(4)) }
            if scheme == "http://", rest.hasSuffix(":80") { return String(rest.dropLast(3)) }
            return String(rest)
        }
        return nil
    }
}
