#if canImport(Glibc)
    private import Glibc
#elseif canImport(Darwin)
    private import Darwin
#endif

/// The IP address a request came from, without a port: what per-address limits count.
///
/// Every face (gRPC, gRPC-Web, REST, WebSocket) reports its client as one of these, so a
/// client cannot get a fresh allowance by opening a new connection (a new port) or by choosing
/// another protocol. IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`) are IPv4. Limits count
/// an IPv6 client by its /64 network (``rateLimitKey``), the smallest block a site is normally
/// given, so one host cannot rotate through its addresses to escape them.
///
/// The value is 17 bytes with no heap storage: copying it into every call's context is free.
package struct ClientAddress: Sendable, Hashable, CustomStringConvertible {
    private enum Family: UInt8 {
        case unknown
        case v4
        case v6
    }

    private let family: Family
    /// IPv6: the first 8 bytes, big-endian; IPv4: 0.
    private let high: UInt64
    /// IPv6: the last 8 bytes, big-endian; IPv4: the address in the low 32 bits.
    private let low: UInt64

    /// The address of a request whose origin is not known (in-process calls, tests).
    package static let unknown = ClientAddress(family: .unknown, high: 0, low: 0)

    private init(family: Family, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// Parses a bare IPv4 or IPv6 address (`192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`).
    ///
    /// - Parameter text: The address, without port or brackets.
    /// - Returns: `nil` when the text is not an address.
    package init?(_ text: some StringProtocol) {
        // The longest address text (IPv6 with an embedded IPv4) has 45 characters.
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        let string = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            self.init(ipv4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, string, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        self.init(ipv6Bytes: bytes)
    }

    /// An IPv4 address.
    ///
    /// - Parameter ipv4: The address as a host-order integer (`192.0.2.1` is `0xC0000201`).
    init(ipv4: UInt32) {
        self.init(family: .v4, high: 0, low: UInt64(ipv4))
    }

    /// An IPv6 address from its 16 bytes; IPv4-mapped addresses become IPv4.
    init(ipv6Bytes bytes: [UInt8]) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[index])
            low = low << 8 | UInt64(bytes[index + 8])
        }
        if high == 0, low >> 32 == 0xFFFF {
            self.init(ipv4: UInt32(truncatingIfNeeded: low))
        } else {
            self.init(family: .v6, high: high, low: low)
        }
    }

    /// Parses a peer as transports and proxies write it: `192.0.2.1`, `192.0.2.1:443`,
    /// `[2001:db8::1]:443`, `2001:db8::1`, gRPC's `ipv4:192.0.2.1:443` / `ipv6:[::1]:443`, or
    /// an unbracketed IPv6 address followed by `:port`.
    ///
    /// - Parameter peer: The peer text.
    /// - Returns: `nil` when no address can be read from it.
    package init?(peer: some StringProtocol) {
        var rest = Substring(peer)
        if rest.hasPrefix("ipv4:") || rest.hasPrefix("ipv6:") {
            rest = rest.dropFirst(5)
        }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            self.init(rest[rest.index(after: rest.startIndex)..<close])
            return
        }
        if let address = ClientAddress(rest) {
            self = address
            return
        }
        guard let colon = rest.lastIndex(of: ":"),
            rest[rest.index(after: colon)...].allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        self.init(rest[..<colon])
    }

    /// Whether the origin is known.
    package var isKnown: Bool { self.family != .unknown }

    /// Whether this is an IPv4 address.
    package var isIPv4: Bool { self.family == .v4 }

    /// The address in its canonical text form (`192.0.2.1`, `2001:db8::1`); `unknown` when
    /// not known.
    package var description: String {
        switch self.family {
        case .unknown: "unknown"
        case .v4: Self.ipv4Text(UInt32(truncatingIfNeeded: self.low))
        case .v6: Self.ipv6Text(high: self.high, low: self.low)
        }
    }

    /// The key per-address limits count under: the IPv4 address, or the /64 network of an
    /// IPv6 address written as `2001:db8:1:2::/64`.
    package var rateLimitKey: String {
        switch self.family {
        case .unknown, .v4: self.description
        case .v6: Self.ipv6Text(high: self.high, low: 0) + "/64"
        }
    }

    /// Whether the first `prefixLength` bits equal those of `network` (same family).
    func matches(_ network: ClientAddress, prefixLength: Int) -> Bool {
        guard self.family == network.family, self.family != .unknown else { return false }
        if self.family == .v4 {
            let mask: UInt64 = prefixLength == 0 ? 0 : (0xFFFF_FFFF << (32 - UInt64(prefixLength))) & 0xFFFF_FFFF
            return self.low & mask == network.low & mask
        }
        let highBits = min(prefixLength, 64)
        let lowBits = max(0, prefixLength - 64)
        let highMask: UInt64 = highBits == 0 ? 0 : ~0 << (64 - UInt64(highBits))
        let lowMask: UInt64 = lowBits == 0 ? 0 : ~0 << (64 - UInt64(lowBits))
        return self.high & highMask == network.high & highMask && self.low & lowMask == network.low & lowMask
    }

    private static func ipv4Text(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }

    private static func ipv6Text(high: UInt64, low: UInt64) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { bytes in
            for index in 0..<8 {
                bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
                bytes[index + 8] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
            }
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "unknown" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
