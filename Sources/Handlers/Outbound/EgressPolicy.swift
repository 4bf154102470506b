package import RPCServer

/// Which addresses outbound calls to tenant-supplied URLs may reach.
///
/// Loopback, private, link-local (where cloud metadata services answer), carrier-grade NAT,
/// unspecified, multicast, reserved and documentation ranges are refused, unless the address lies
/// in one of the allowed networks (`OUTBOUND_ALLOW_CIDRS`). Everything else (the public internet)
/// is allowed. IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
package struct EgressPolicy: Sendable {
    /// Networks reachable even though they are in a refused range.
    package let allowedNetworks: [IPNetwork]

    /// A policy.
    ///
    /// - Parameter allowedNetworks: The networks of `OUTBOUND_ALLOW_CIDRS`.
    package init(allowedNetworks: [IPNetwork] = []) {
        self.allowedNetworks = allowedNetworks
    }

    /// The refused ranges, each with the words a refusal names it by.
    private static let refusedRanges: [(network: IPNetwork, name: String)] = [
        ("0.0.0.0/8", "an unspecified"), ("10.0.0.0/8", "a private"), ("100.64.0.0/10", "a carrier-grade NAT"),
        ("127.0.0.0/8", "a loopback"), ("169.254.0.0/16", "a link-local (cloud metadata)"),
        ("172.16.0.0/12", "a private"), ("192.0.0.0/24", "a reserved"), ("192.0.2.0/24", "a documentation"),
        ("192.168.0.0/16", "a private"), ("198.18.0.0/15", "a benchmarking"),
        ("198.51.100.0/24", "a documentation"), ("203.0.113.0/24", "a documentation"),
        ("224.0.0.0/4", "a multicast"), ("240.0.0.0/4", "a reserved"), ("::/128", "an unspecified"),
        ("::1/128", "a loopback"), ("64:ff9b::/96", "a NAT64"), ("100::/64", "a discard"),
        ("2001:db8::/32", "a documentation"), ("fc00::/7", "a private (unique local)"),
        ("fe80::/10", "a link-local"), ("fec0::/10", "a site-local"), ("ff00::/8", "a multicast"),
    ].compactMap { text, name in IPNetwork(text).map { ($0, name) } }

    /// Whether an address lies in one of the allowed networks.
    ///
    /// - Parameter address: The address.
    package func isAllowedNetwork(_ address: ClientAddress) -> Bool {
        self.allowedNetworks.contains { $0.contains(address) }
    }

    /// Why an address may not be reached, or `nil` when it may.
    ///
    /// - Parameter address: A resolved address.
    /// - Returns: Words for the refusal, e.g. "a loopback address".
    package func refusal(for address: ClientAddress) -> String? {
        guard address.isKnown else { return "not an IP address" }
        if self.isAllowedNetwork(address) { return nil }
        guard let range = Self.refusedRanges.first(where: { $0.network.contains(address) }) else { return nil }
        return "\(range.name) address (\(range.network))"
    }
}
