#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// An IPv4 or IPv6 network in CIDR notation, e.g. `10.0.0.0/8` or `::1/128`; used for the
/// trusted-proxy list.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    private let address: [UInt8]
    private let prefixLength: Int

    /// Parses `address/prefix`, or a bare address (a single host).
    ///
    /// - Parameter text: The network.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = Self.bytes(of: String(first)) else { return nil }
        let maxPrefix = address.count * 8
        let prefix = parts.count == 2 ? Int(parts[1]) : maxPrefix
        guard let prefix, (0...maxPrefix).contains(prefix) else { return nil }
        self.address = address
        self.prefixLength = prefix
    }

    /// Loopback networks: `127.0.0.0/8` and `::1/128`.
    public static let loopback: [IPNetwork] = ["127.0.0.0/8", "::1/128"].compactMap(IPNetwork.init)

    public var description: String {
        "\(Self.text(of: self.address))/\(self.prefixLength)"
    }

    /// Whether an address (text) lies in the network. IPv4-mapped IPv6 addresses count as IPv4.
    ///
    /// - Parameter text: An IP address.
    public func contains(_ text: String) -> Bool {
        guard var candidate = Self.bytes(of: text) else { return false }
        if candidate.count == 16, self.address.count == 4, candidate[0..<10].allSatisfy({ $0 == 0 }),
            candidate[10] == 0xFF, candidate[11] == 0xFF
        {
            candidate = Array(candidate[12...])
        }
        guard candidate.count == self.address.count else { return false }
        var remaining = self.prefixLength
        for index in 0..<candidate.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            guard candidate[index] & mask == self.address[index] & mask else { return false }
            remaining -= bits
        }
        return true
    }

    static func bytes(of text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    private static func text(of bytes: [UInt8]) -> String {
        if bytes.count == 4 {
            return bytes.map(String.init).joined(separator: ".")
        }
        return stride(from: 0, to: bytes.count, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        .joined(separator: ":")
    }
}
