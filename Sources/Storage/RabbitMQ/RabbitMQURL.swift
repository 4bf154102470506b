/// The parts of an `amqp://[user[:password]@]host[:port][/vhost]` URL the publisher needs.
///
/// User name, password and virtual host are percent-decoded (`%2F` is `/`, the default virtual
/// host when the path is empty). The credentials never appear in ``description``.
package struct RabbitMQURL: Sendable, Hashable, CustomStringConvertible {
    /// The host name or address.
    package var host: String
    /// The TCP port; 5672 when the URL gives none.
    package var port: Int
    /// The user; `guest` when the URL gives none.
    package var username: String
    /// The password; `guest` when the URL gives none.
    package var password: String
    /// The virtual host; `/` when the URL gives none.
    package var virtualHost: String

    /// Parses a URL; `nil` unless the scheme is `amqp`, the port a number and escapes well formed.
    ///
    /// - Parameter string: e.g. `amqp://metachat:s3cret@127.0.0.1:5672/%2F`.
    package init?(_ string: String) {
        guard string.hasPrefix("amqp://"), string.utf8.count <= 2048 else { return nil }
        let rest = Substring(string.dropFirst("amqp://".count))
        // The authority ends at the first `/`: an `@` in the virtual host is not user info.
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...].dropFirst()
        var username = "guest"
        var password = "guest"
        if let at = authority.lastIndex(of: "@") {
            let parts = authority[..<at].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = ASCIIHex.percentDecoded(parts[0]) else { return nil }
            username = user
            if parts.count == 2 {
                guard let secret = ASCIIHex.percentDecoded(parts[1]) else { return nil }
                password = secret
            }
            authority = authority[authority.index(after: at)...]
        }
        var virtualHost = "/"
        if !path.isEmpty {
            guard let decoded = ASCIIHex.percentDecoded(path) else { return nil }
            virtualHost = decoded
        }
        let hostPort = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let host = hostPort.first, !host.isEmpty, !host.contains("?") else { return nil }
        var port = 5672
        if hostPort.count == 2 {
            guard let number = Int(hostPort[1]), (1...65535).contains(number) else { return nil }
            port = number
        }
        guard !username.contains("\0"), !password.contains("\0"), !virtualHost.contains("\0") else { return nil }
        self.host = String(host)
        self.port = port
        self.username = username
        self.password = password
        self.virtualHost = virtualHost
    }

    /// `amqp://host:port/vhost`, without credentials.
    package var description: String {
        "amqp://\(self.host):\(self.port)/\(self.virtualHost == "/" ? "" : self.virtualHost)"
    }
}
