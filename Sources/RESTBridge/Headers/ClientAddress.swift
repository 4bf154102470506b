/// Finds the client's address: the connection's peer, or, when the peer is a trusted proxy,
/// the address the proxy reports in `X-Forwarded-For` (the right-most untrusted hop) or
/// `X-Real-IP`.
struct ClientAddress: Sendable {
    let trustedProxies: [IPNetwork]

    /// What the request says about where it came from.
    struct Origin {
        /// The client IP.
        var ip: String
        /// Whether the client reached the proxy over HTTPS (`X-Forwarded-Proto: https` from a
        /// trusted proxy).
        var viaHTTPS: Bool
    }

    /// Resolves the client of a request.
    ///
    /// - Parameters:
    ///   - peer: The connection's peer, `ip:port`.
    ///   - header: Looks a request header up by name.
    func resolve(peer: String, header: (String) -> String?) -> Origin {
        let peerIP = Self.ip(ofPeer: peer)
        guard self.isTrusted(peerIP) else { return Origin(ip: peerIP, viaHTTPS: false) }
        let viaHTTPS =
            header("x-forwarded-proto")?.split(separator: ",").first?.filter { !$0.isWhitespace }
            .lowercased() == "https"
        if let forwarded = header("x-forwarded-for") {
            let hops = forwarded.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }
                .filter { IPNetwork.bytes(of: $0) != nil }
            if let client = hops.last(where: { !self.isTrusted($0) }) ?? hops.first {
                return Origin(ip: client, viaHTTPS: viaHTTPS)
            }
        }
        if let real = header("x-real-ip")?.filter({ !$0.isWhitespace }), IPNetwork.bytes(of: real) != nil {
            return Origin(ip: real, viaHTTPS: viaHTTPS)
        }
        return Origin(ip: peerIP, viaHTTPS: viaHTTPS)
    }

    private func isTrusted(_ ip: String) -> Bool {
        self.trustedProxies.contains { $0.contains(ip) }
    }

    /// The IP part of `ip:port` (IPv6 peers are written without brackets).
    static func ip(ofPeer peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        let candidate = String(peer[..<colon])
        return IPNetwork.bytes(of: candidate) != nil ? candidate : peer
    }
}
