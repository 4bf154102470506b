/// The scheme, host and port of an `http(s)` URL an outbound call goes to.
package struct OutboundURL: Sendable, Equatable {
    /// Whether the scheme is `https`.
    package var isHTTPS: Bool
    /// The host, without the brackets of an IPv6 literal, lower-cased.
    package var host: String
    /// The port, explicit or the scheme's default.
    package var port: Int

    /// Splits a URL; `nil` when it is not an absolute `http(s)` URL with a host.
    ///
    /// - Parameter text: The URL.
    package init?(_ text: String) {
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            self.isHTTPS = true
            rest = lowered.dropFirst("https://".count)
        } else if lowered.hasPrefix("http://") {
            self.isHTTPS = false
            rest = lowered.dropFirst("http://".count)
        } else {
            return nil
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
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
        self.host = String(host)
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let port = Int(portText), (1...65535).contains(port)
            else { return nil }
            self.port = port
        } else {
            self.port = self.isHTTPS ? 443 : 80
        }
    }
}
