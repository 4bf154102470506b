import Handlers
import RPCServer
import Testing

@Suite("EgressPolicy")
struct EgressPolicyTests {
    @Test(
        "Addresses outside the public internet are refused, naming their range",
        arguments: [
            ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
            ("172.31.255.255", "private"), ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("169.254.0.1", "link-local"), ("fe80::1", "link-local"), ("fd00:ec2::254", "unique local"),
            ("fc00::1", "unique local"), ("100.64.0.1", "carrier-grade NAT"), ("100.100.100.200", "carrier-grade NAT"),
            ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
            ("255.255.255.255", "reserved"), ("240.0.0.1", "reserved"), ("192.0.2.10", "documentation"),
            ("2001:db8::1", "documentation"), ("64:ff9b::7f00:1", "NAT64"), ("::ffff:10.0.0.1", "private"),
            ("::ffff:169.254.169.254", "link-local"),
        ])
    func refused(address: String, range: String) throws {
        let parsed = try #require(ClientAddress(address))
        let reason = try #require(EgressPolicy().refusal(for: parsed))
        #expect(reason.contains(range), "\(address): \(reason)")
    }

    @Test(
        "Public addresses are allowed",
        arguments: ["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111"])
    func allowed(address: String) throws {
        #expect(EgressPolicy().refusal(for: try #require(ClientAddress(address))) == nil)
    }

    @Test("OUTBOUND_ALLOW_CIDRS opens exactly its networks")
    func allowList() throws {
        let policy = EgressPolicy(
            allowedNetworks: ["127.0.0.0/8", "10.20.0.5/32", "fd12::/16"].compactMap(IPNetwork.init))
        for open in ["127.0.0.1", "127.9.9.9", "10.20.0.5", "::ffff:127.0.0.1", "fd12::9"] {
            #expect(policy.refusal(for: try #require(ClientAddress(open))) == nil, "\(open)")
        }
        for closed in ["10.20.0.6", "169.254.169.254", "::1", "fd13::1", "192.168.0.1"] {
            #expect(policy.refusal(for: try #require(ClientAddress(closed))) != nil, "\(closed)")
        }
    }
}
