/// The parts of a `redis://host:port/db` URL the client needs.
public struct RedisURL: Sendable, Hashable {
    /// The host name or address.
    public var host: String
    /// The TCP port; 6379 when the URL gives none.
    public var port: Int
    /// The database number; 0 when the URL gives none.
    public var database: Int

    /// Parses a Redis URL.
    ///
    /// - Parameter string: A URL such as `redis://127.0.0.1:6379/0`.
    /// - Returns: `nil` when the scheme is not `redis` or the port or database is not a number.
    public init?(_ string: String) {
        guard string.hasPrefix("redis://") else { return nil }
        var rest = Substring(string.dropFirst("redis://".count))
        if let at = rest.lastIndex(of: "@") {
            rest = rest[rest.index(after: at)...]
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
    }
}
