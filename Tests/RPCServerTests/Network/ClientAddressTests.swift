import PropertyBased
import Testing

@testable import RPCServer

@Suite("Client addresses")
struct ClientAddressTests {
    @Test(
        "Every way a transport or proxy writes a peer reads as the bare address",
        arguments: [
            ("192.0.2.1", "192.0.2.1"),
            ("192.0.2.1:54321", "192.0.2.1"),
            ("ipv4:192.0.2.1:54321", "192.0.2.1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("ipv6:[2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            ("::ffff:192.0.2.1", "192.0.2.1"),
            ("[::ffff:192.0.2.1]:80", "192.0.2.1"),
            ("::1", "::1"),
        ]
    )
    func peers(peer: String, address: String) {
        #expect(ClientAddress(peer: peer)?.description == address)
    }

    @Test(
        "Text that is no address is refused",
        arguments: ["", "unknown", "in-process", "1.2.3", "256.1.1.1", "[::1", "example.com:80", "1.2.3.4:x", "::g"]
    )
    func garbage(peer: String) {
        #expect(ClientAddress(peer: peer) == nil)
    }

    @Test("Connections from one IPv4 address share one key whatever their ports")
    func portsShareAKey() async {
        await propertyCheck(input: Gen.uint32(), Gen.int(in: 1...65535), Gen.int(in: 1...65535)) { raw, first, second in
            let address = ClientAddress(ipv4: raw)
            let one = ClientAddress(peer: "\(address):\(first)")
            let other = ClientAddress(peer: "ipv4:\(address):\(second)")
            #expect(one == address)
            #expect(other == address)
            #expect(one?.rateLimitKey == address.description)
        }
    }

    @Test("IPv6 addresses in one /64 share one key; other /64s do not")
    func ipv6GroupedPerSlash64() async {
        await propertyCheck(input: Gen.uint64(), Gen.uint64(), Gen.uint64()) { network, hostA, hostB in
            let a = Self.ipv6(high: network, low: hostA)
            let b = Self.ipv6(high: network, low: hostB)
            let elsewhere = Self.ipv6(high: network ^ 1, low: hostA)
            // IPv4-mapped addresses are IPv4, keyed by themselves.
            guard !a.isIPv4, !elsewhere.isIPv4 else { return }
            #expect(a.rateLimitKey == b.rateLimitKey)
            #expect(a.rateLimitKey != elsewhere.rateLimitKey)
            #expect(a.rateLimitKey.hasSuffix("/64"))
            #expect(ClientAddress(a.description) == a)
        }
    }

    @Test("A /64 key names the network")
    func slash64Text() throws {
        let address = try #require(ClientAddress("2001:db8:aa:bb:1:2:3:4"))
        #expect(address.rateLimitKey == "2001:db8:aa:bb::/64")
    }

    @Test("Networks match by prefix, IPv4-mapped addresses as IPv4, never across families")
    func networks() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        let v6 = try #require(IPNetwork("2001:db8::/32"))
        let everything4 = try #require(IPNetwork("0.0.0.0/0"))
        #expect(ten.contains("10.20.30.40"))
        #expect(ten.contains("::ffff:10.1.2.3"))
        #expect(!ten.contains("11.0.0.1"))
        #expect(!ten.contains("::a14:1e28"))
        #expect(v6.contains("2001:db8:1::5"))
        #expect(!v6.contains("2001:db9::1"))
        #expect(everything4.contains("255.255.255.255"))
        #expect(!everything4.contains("::1"))
        #expect(!ten.contains(ClientAddress.unknown))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("::/129") == nil)
        #expect(IPNetwork("10.0.0.0/99999999999999999999") == nil)
        #expect(IPNetwork("10.0.0.0/-1") == nil)
        #expect(IPNetwork("10.0.0.0/") == nil)
        #expect(IPNetwork("not-an-ip") == nil)
    }

    private static func ipv6(high: UInt64, low: UInt64) -> ClientAddress {
        var bytes: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift)))
        }
        return ClientAddress(ipv6Bytes: bytes)
    }
}
