/// An IPv4 or IPv6 network in CIDR notation, e.g. `10.0.0.0/8` or `::1/128`; used for the
/// trusted-proxy list.
package struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    private let network: ClientAddress
    private let prefixLength: Int

    /// Parses `address/prefix`, or a bare address (a single host).
    ///
    /// - Parameter text: The network.
    package init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let address = ClientAddress(first) else { return nil }
        let maxPrefix = address.isIPv4 ? 32 : 128
        var prefix = maxPrefix
        if parts.count == 2 {
            // At most three digits, so a long number is refused instead of converted.
            guard parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(parts[1]),
                value <= maxPrefix
            else { return nil }
            prefix = value
        }
        self.network = address
        self.prefixLength = prefix
    }

    /// Loopback networks: `127.0.0.0/8` and `::1/128`.
    package static let loopback: [IPNetwork] = ["127.0.0.0/8", "::1/128"].compactMap(IPNetwork.init)

    package var description: String {
        "\(self.network)/\(self.prefixLength)"
    }

    /// Whether an address lies in the network. IPv4-mapped IPv6 addresses count as IPv4.
    ///
    /// - Parameter address: An address.
    package func contains(_ address: ClientAddress) -> Bool {
        address.matches(self.network, prefixLength: self.prefixLength)
    }

    /// Whether an address (text) lies in the network; `false` for text that is no address.
    ///
    /// - Parameter text: An IP address.
    package func contains(_ text: String) -> Bool {
        ClientAddress(text).map(self.contains) ?? false
    }
}
