/// Decides which client a request came from: the connection's peer, or, when the peer is a
/// trusted proxy, the address the proxy reports.
///
/// `X-Forwarded-For` is read as one list however many header lines carry it (RFC 9110 §5.3:
/// lines of a list-valued field join with commas, so a proxy that appends a line is read like
/// one that appends to the value). The client is the right-most hop that is not itself a
/// trusted proxy: hops to the left of it were written by the client and prove nothing. When
/// every hop is trusted, the left-most is taken. Without `X-Forwarded-For`, `X-Real-IP` is
/// used. Entries that are not addresses are skipped; `ip:port` and `[v6]:port` entries count
/// by their address.
package struct ClientAddressResolver: Sendable, Hashable {
    /// Peers whose forwarding headers are believed.
    package var trustedProxies: [IPNetwork]

    /// Creates a resolver.
    ///
    /// - Parameter trustedProxies: Peers whose forwarding headers are believed (default:
    ///   loopback, where a local nginx connects from).
    package init(trustedProxies: [IPNetwork] = IPNetwork.loopback) {
        self.trustedProxies = trustedProxies
    }

    /// What a request says about where it came from.
    package struct Origin: Sendable, Hashable {
        /// The client.
        package var client: ClientAddress
        /// Whether the client reached the proxy over HTTPS (`X-Forwarded-Proto: https` from a
        /// trusted proxy).
        package var viaHTTPS: Bool
    }

    /// Whether a peer's forwarding headers are believed.
    ///
    /// - Parameter peer: The connection's peer.
    package func isTrusted(_ peer: ClientAddress) -> Bool {
        self.trustedProxies.contains { $0.contains(peer) }
    }

    /// The client of a request.
    ///
    /// - Parameters:
    ///   - peer: The connection's peer.
    ///   - forwardedFor: Every `X-Forwarded-For` line, in arrival order.
    ///   - realIP: The first `X-Real-IP`.
    /// - Returns: The client; the peer itself unless it is a trusted proxy that names one.
    package func client(
        peer: ClientAddress,
        forwardedFor: some Sequence<String>,
        realIP: String?
    ) -> ClientAddress {
        guard self.isTrusted(peer) else { return peer }
        var leftMost: ClientAddress?
        var rightMostUntrusted: ClientAddress?
        for line in forwardedFor {
            for entry in line.split(separator: ",") {
                guard let hop = ClientAddress(peer: entry.filter { !$0.isWhitespace }) else { continue }
                leftMost = leftMost ?? hop
                if !self.isTrusted(hop) {
                    rightMostUntrusted = hop
                }
            }
        }
        if let client = rightMostUntrusted ?? leftMost {
            return client
        }
        if let realIP, let client = ClientAddress(peer: realIP.filter { !$0.isWhitespace }) {
            return client
        }
        return peer
    }

    /// The origin of a request from its header list.
    ///
    /// - Parameters:
    ///   - peer: The connection's peer.
    ///   - headers: The request's header fields (names in any case).
    package func origin(peer: ClientAddress, headers: [(name: String, value: String)]) -> Origin {
        guard self.isTrusted(peer) else { return Origin(client: peer, viaHTTPS: false) }
        var forwardedFor: [String] = []
        var realIP: String?
        var proto: String?
        for (name, value) in headers {
            if HeaderName.matches(name, "x-forwarded-for") {
                forwardedFor.append(value)
            } else if realIP == nil, HeaderName.matches(name, "x-real-ip") {
                realIP = value
            } else if proto == nil, HeaderName.matches(name, "x-forwarded-proto") {
                proto = value
            }
        }
        let viaHTTPS =
            proto?.split(separator: ",").first?.filter { !$0.isWhitespace }.lowercased() == "https"
        return Origin(
            client: self.client(peer: peer, forwardedFor: forwardedFor, realIP: realIP),
            viaHTTPS: viaHTTPS
        )
    }
}
