/// The parts of an `http(s)://` URL that tenant settings check, split without Foundation's lenient
/// parser: scheme, authority (host and optional port, no user info) and the rest.
struct HTTPURLParts {
    /// Everything after the authority, up to a `?` or `#`.
    var path: Substring
    /// Whether a `?` or `#` follows the authority or path.
    var hasQueryOrFragment: Bool

    init?(_ text: String) {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            rest = text.dropFirst("https://".count)
        } else if lowered.hasPrefix("http://") {
            rest = text.dropFirst("http://".count)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let afterAuthority = rest[authorityEnd...]
        let pathEnd = afterAuthority.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? afterAuthority.endIndex
        self.path = afterAuthority[..<pathEnd]
        self.hasQueryOrFragment = pathEnd != afterAuthority.endIndex
        guard Self.isValidAuthority(authority) else { return nil }
    }

    private static func isValidAuthority(_ authority: Substring) -> Bool {
        guard !authority.isEmpty, !authority.contains("@") else { return false }
        var host = authority
        if authority.hasPrefix("[") {
            // An IPv6 literal, optionally followed by :port.
            guard let close = authority.firstIndex(of: "]") else { return false }
            let literal = authority[authority.index(after: authority.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return false
            }
            let tail = authority[authority.index(after: close)...]
            return tail.isEmpty || (tail.hasPrefix(":") && Self.isValidPort(tail.dropFirst()))
        }
        if let colon = authority.lastIndex(of: ":") {
            guard Self.isValidPort(authority[authority.index(after: colon)...]) else { return false }
            host = authority[..<colon]
        }
        guard !host.isEmpty, host.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        }
    }

    private static func isValidPort(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text)
        else { return false }
        return (1...65535).contains(port)
    }
}
