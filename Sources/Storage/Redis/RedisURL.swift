/// The parts of a `redis://[user[:password]@]host[:port][/db]` URL the client needs.
///
/// The user name and password are percent-decoded (`%40` is `@`, `%3A` is `:`), so any password
/// can be written; an unencoded `@` inside the password is accepted too (the host starts after the
/// last one). Every connection opened from the URL sends `AUTH [user] password` before anything
/// else when a password or user is given, then `SELECT db` when the database is not 0.
///
/// The credentials never appear in ``description``, ``debugDescription`` or ``customMirror``
/// (`dump`), so logging a URL, or a configuration holding one, cannot leak them.
package struct RedisURL: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The host name or address.
    package var host: String
    /// The TCP port; 6379 when the URL gives none.
    package var port: Int
    /// The database number; 0 when the URL gives none.
    package var database: Int
    /// The ACL user (`redis://alice:secret@host`), percent-decoded; `nil` for the default user.
    package var username: String?
    /// The password (`redis://:secret@host` or `redis://alice:secret@host`), percent-decoded;
    /// `nil` when the URL has none.
    package var password: String?

    /// Parses a Redis URL.
    ///
    /// - Parameter string: A URL such as `redis://127.0.0.1:6379/0` or
    ///   `redis://alice:s3cr%40t@cache.internal:6380/2`.
    /// - Returns: `nil` when the scheme is not `redis` (`rediss://` included: see
    ///   ``isTLSScheme(_:)``), the port or database is not a number, or the user name or password
    ///   holds a malformed percent escape or is not UTF-8 once decoded.
    package init?(_ string: String) {
        guard string.hasPrefix("redis://") else { return nil }
        var rest = Substring(string.dropFirst("redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = ASCIIHex.percentDecoded(parts[0]) else { return nil }
            username = user.isEmpty ? nil : user
            if parts.count == 2 {
                guard let secret = ASCIIHex.percentDecoded(parts[1]) else { return nil }
                password = secret
            }
        }
        let pathParts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let authority = pathParts.first ?? ""
        var database = 0
        if pathParts.count == 2, !pathParts[1].isEmpty {
            guard let number = Int(pathParts[1]), number >= 0 else { return nil }
            database = number
        }
        let hostPort = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let host = hostPort.first, !host.isEmpty else { return nil }
        var port = 6379
        if hostPort.count == 2 {
            guard let number = Int(hostPort[1]), (1...65535).contains(number) else { return nil }
            port = number
        }
        self.host = String(host)
        self.port = port
        self.database = database
        self.username = username
        self.password = password
    }

    /// Whether `string` asks for Redis over TLS (`rediss://`), which this client cannot speak:
    /// Debian's hiredis 0.14 has no TLS support. Put a TLS proxy (stunnel, HAProxy) on the
    /// loopback interface in front of such a Redis and give its `redis://` address instead.
    ///
    /// - Parameter string: A URL.
    package static func isTLSScheme(_ string: String) -> Bool {
        string.lowercased().hasPrefix("rediss://")
    }

    /// Whether connections send `AUTH` (the URL names a user or a password).
    package var hasCredentials: Bool { self.username != nil || self.password != nil }

    /// The `AUTH` command the URL asks for: `AUTH password` for the default user, `AUTH user
    /// password` for an ACL user (an empty password when the URL gives none, which a `nopass`
    /// user accepts); `nil` without credentials.
    var authCommand: [[UInt8]]? {
        guard self.hasCredentials else { return nil }
        let password = Array((self.password ?? "").utf8)
        guard let username = self.username else {
            return [Array("AUTH".utf8), password]
        }
        return [Array("AUTH".utf8), Array(username.utf8), password]
    }

    /// The URL with the password replaced by `***` (and the user name kept), for logs and
    /// messages.
    package var description: String {
        var userInfo = ""
        if self.hasCredentials {
            userInfo = (self.username ?? "") + (self.password == nil ? "" : ":***") + "@"
        }
        return "redis://\(userInfo)\(self.host):\(self.port)/\(self.database)"
    }

    /// The same as ``description``: a debug print of the value never shows the password either.
    package var debugDescription: String { self.description }

    /// The parts, with the password replaced by `***`, for `dump` and other mirror-based printing.
    package var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "host": self.host, "port": self.port, "database": self.database,
                "username": self.username as Any, "password": (self.password == nil ? nil : "***") as Any,
            ],
            displayStyle: .struct
        )
    }
}
