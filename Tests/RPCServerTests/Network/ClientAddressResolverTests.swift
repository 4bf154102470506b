import Testing

@testable import RPCServer

@Suite("Client address resolution behind proxies")
struct ClientAddressResolverTests {
    private let resolver = ClientAddressResolver(
        trustedProxies: ["127.0.0.0/8", "::1/128", "10.0.0.0/8"].compactMap(IPNetwork.init))
    private let proxy = ClientAddress("10.1.1.1") ?? .unknown

    private func client(_ headers: [(name: String, value: String)], peer: String = "10.1.1.1") -> String {
        let peerAddress = ClientAddress(peer) ?? .unknown
        return self.resolver.origin(peer: peerAddress, headers: headers).client.description
    }

    @Test("The right-most untrusted hop is the client")
    func rightMostUntrusted() {
        #expect(self.client([("X-Forwarded-For", "198.51.100.7, 203.0.113.9, 10.2.2.2")]) == "203.0.113.9")
    }

    @Test("Several X-Forwarded-For lines are one list: a client cannot pick its address with a line of its own")
    func severalLinesJoin() {
        // The client sent the first line; the proxy appended a line with the address it saw.
        let headers = [("x-forwarded-for", "1.2.3.4"), ("X-Forwarded-For", "203.0.113.9")]
        #expect(self.client(headers) == "203.0.113.9")
        let threeLines = [
            ("x-forwarded-for", "1.1.1.1, 2.2.2.2"), ("x-forwarded-for", "198.51.100.1"),
            ("x-forwarded-for", "10.9.9.9"),
        ]
        #expect(self.client(threeLines) == "198.51.100.1")
    }

    @Test("Headers from an untrusted peer are ignored")
    func untrustedPeer() {
        #expect(self.client([("x-forwarded-for", "203.0.113.9")], peer: "192.0.2.50") == "192.0.2.50")
        #expect(self.client([("x-real-ip", "203.0.113.9")], peer: "192.0.2.50") == "192.0.2.50")
    }

    @Test("X-Real-IP is used without X-Forwarded-For; garbage hops are skipped; all-trusted takes the left-most")
    func fallbacks() {
        #expect(self.client([("x-real-ip", "203.0.113.10")]) == "203.0.113.10")
        #expect(self.client([("x-forwarded-for", "garbage, 203.0.113.9, , 10.0.0.1")]) == "203.0.113.9")
        #expect(self.client([("x-forwarded-for", "10.0.0.5, 10.0.0.1")]) == "10.0.0.5")
        #expect(self.client([("x-forwarded-for", "[2001:db8::7]:443, 198.51.100.2:80")]) == "198.51.100.2")
        #expect(self.client([("x-forwarded-for", "not an address")]) == "10.1.1.1")
        #expect(self.client([]) == "10.1.1.1")
    }

    @Test("X-Forwarded-Proto https counts only from a trusted proxy")
    func forwardedProto() {
        let headers = [("x-forwarded-proto", "https")]
        #expect(self.resolver.origin(peer: self.proxy, headers: headers).viaHTTPS)
        #expect(!self.resolver.origin(peer: ClientAddress("192.0.2.1") ?? .unknown, headers: headers).viaHTTPS)
    }
}
