/// An absolute `http(s)` URL split into the parts outbound calls and settings checks need, read
/// without Foundation's lenient parser: scheme, authority (host and optional port, never user
/// info) and the rest. Tenant settings (`TenantTextRules`) and the egress check
/// (`OutboundHTTPClient`) read URLs through this one type, so what a setting accepts is what a
/// call connects to.
package struct OutboundURL: Sendable, Equatable {
    /// Whether the scheme is `https`.
    package var isHTTPS: Bool
    /// The host, without the brackets of an IPv6 literal, lower-cased.
    package var host: String
    /// The port, explicit or the scheme's default.
    package var port: Int
    /// Everything after the authority up to a `?` or `#`, as written (empty or starting with `/`).
    package var path: String
    /// Whether a `?` or `#` follows the authority or path.
    package var hasQueryOrFragment: Bool
    /// Whether the host was written in brackets (an IPv6 literal).
    private var hostIsBracketed = false

    /// Splits a URL; `nil` when it is not an absolute `http(s)` URL with a host and, if given, a
    /// port from 1 to 65535.
    ///
    /// - Parameter text: The URL.
    package init?(_ text: String) {
        let rest: Substring
        if Self.hasPrefix(text, "https://") {
            self.isHTTPS = true
            rest = text.dropFirst("https://".count)
        } else if Self.hasPrefix(text, "http://") {
            self.isHTTPS = false
            rest = text.dropFirst("http://".count)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let afterAuthority = rest[authorityEnd...]
        let pathEnd = afterAuthority.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? afterAuthority.endIndex
        self.path = String(afterAuthority[..<pathEnd])
        self.hasQueryOrFragment = pathEnd != afterAuthority.endIndex
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            self.hostIsBracketed = true
            let tail = authority[authority.index(after: close)...]
            if !tail.isEmpty {
                guard tail.hasPrefix(":") else { return nil }
                portText = tail.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { return nil }
        self.host = host.lowercased()
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                let port = Int(portText), (1...65535).contains(port)
            else { return nil }
            self.port = port
        } else {
            self.port = self.isHTTPS ? 443 : 80
        }
    }

    /// Whether the host is a DNS name of letters, digits and hyphens (labels of 1 to 63, at most
    /// 253 in all, no label starting or ending with a hyphen) or an IPv6 literal of hex digits,
    /// colons and dots: what a stored setting may name, stricter than what a connection accepts.
    package var hasWellFormedHost: Bool {
        if self.hostIsBracketed {
            return self.host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        }
        guard self.host.utf8.count <= 253 else { return false }
        return self.host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        }
    }

    /// Whether `text` starts with the ASCII `prefix`, ignoring case.
    private static func hasPrefix(_ text: String, _ prefix: String) -> Bool {
        var textBytes = text.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let byte = textBytes.next() else { return false }
            let lowered = (65...90).contains(byte) ? byte + 32 : byte
            guard lowered == expected else { return false }
        }
        return true
    }
}
