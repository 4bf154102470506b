internal import RPCServer

/// The headers every REST response carries so browsers treat it safely.
enum SecurityHeaders {
    /// Adds `nosniff`, `frame deny` and the referrer policy, and HSTS when the client came in
    /// over HTTPS through a trusted proxy; a header the route set itself is kept.
    ///
    /// - Parameters:
    ///   - response: The response.
    ///   - viaHTTPS: Whether the client used HTTPS.
    static func add(to response: inout HTTPResponse, viaHTTPS: Bool) {
        Self.add(Self.always, to: &response)
        if viaHTTPS {
            Self.add(Self.overHTTPS, to: &response)
        }
    }

    private static let always: [(name: String, value: String)] = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ]

    private static let overHTTPS: [(name: String, value: String)] = [
        ("strict-transport-security", "max-age=31536000; includeSubDomains")
    ]

    private static func add(_ wanted: [(name: String, value: String)], to response: inout HTTPResponse) {
        for header in wanted where !response.headers.contains(where: { HeaderName.matches($0.name, header.name) }) {
            response.headers.append(header)
        }
    }
}
