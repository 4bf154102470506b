import AsyncHTTPClient
import Handlers
import NIOCore
import NIOHTTP1
import RPCServer
import Synchronization
import Testing

/// A resolver answering from a script, so a name can move between addresses (DNS rebinding)
/// between two requests.
private final class ScriptedResolver: HostResolver {
    private let answers: Mutex<[[String]]>
    let lookups = Mutex(0)

    init(_ answers: [[String]]) {
        self.answers = Mutex(answers)
    }

    func addresses(of host: String) async throws -> [ClientAddress] {
        self.lookups.withLock { $0 += 1 }
        let texts = self.answers.withLock { answers in answers.count > 1 ? answers.removeFirst() : answers[0] }
        return texts.compactMap { ClientAddress($0) }
    }
}

@Suite("OutboundHTTPClient egress guard", .serialized)
struct OutboundHTTPClientTests {
    private static let loopbackOnly = EgressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")].compactMap { $0 })

    private static func post(
        _ client: OutboundHTTPClient, _ url: String, destination: OutboundDestination
    ) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: "{\"input\":[]}"))
        let response = try await client.execute(request, destination: destination, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 16)
        return String(buffer: body)
    }

    private static func withClient(
        policy: EgressPolicy, resolver: any HostResolver, _ body: (OutboundHTTPClient) async throws -> Void
    ) async throws {
        let client = OutboundHTTPClient(policy: policy, resolver: resolver)
        await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            do { try await body(client) } catch { Issue.record(error) }
            group.cancelAll()
        }
    }

    @Test("A tenant URL on loopback is refused before any connection, naming the address and OUTBOUND_ALLOW_CIDRS")
    func loopbackRefused() async throws {
        let server = try await ScriptedEmbeddingServer([.body("hello")])
        try await Self.withClient(policy: EgressPolicy(), resolver: ScriptedResolver([["127.0.0.1"]])) {
            client throws in
            await #expect {
                try await Self.post(
                    client, server.baseURL + "/embeddings", destination: .tenantSupplied(requireHTTPS: false))
            } throws: { error in
                let text = "\(error)"
                return error is EgressRefusal && text.contains("loopback") && text.contains("OUTBOUND_ALLOW_CIDRS")
            }
            // The same URL from the operator's configuration is trusted.
            #expect(
                try await Self.post(client, server.baseURL + "/embeddings", destination: .operatorConfigured) == "hello"
            )
        }
        #expect(server.bodies.count == 1)
        try await server.close()
    }

    @Test(
        "Inside OUTBOUND_ALLOW_CIDRS a tenant URL is reached, by IP literal and by a name pinned to its checked address"
    )
    func allowedReached() async throws {
        let server = try await ScriptedEmbeddingServer([.body("hello")])
        let port = try #require(server.baseURL.split(separator: ":").last?.split(separator: "/").first)
        let resolver = ScriptedResolver([["127.0.0.1"]])
        try await Self.withClient(policy: Self.loopbackOnly, resolver: resolver) { client throws in
            #expect(
                try await Self.post(
                    client, server.baseURL + "/embeddings", destination: .tenantSupplied(requireHTTPS: false))
                    == "hello")
            // `llm.tenant.invalid` exists only in the scripted resolver: the request arrives because
            // the connection goes to the address that was checked, not to a second lookup.
            let named = "http://llm.tenant.invalid:\(port)/v1/embeddings"
            #expect(try await Self.post(client, named, destination: .tenantSupplied(requireHTTPS: false)) == "hello")
            #expect(try await Self.post(client, named, destination: .tenantSupplied(requireHTTPS: false)) == "hello")
        }
        #expect(resolver.lookups.withLock { $0 } == 2)
        #expect(server.bodies.count == 3)
        try await server.close()
    }

    @Test("DNS rebinding: a name that moves to a refused address is refused on the next request")
    func rebindingCaught() async throws {
        let server = try await ScriptedEmbeddingServer([.body("hello")])
        let port = try #require(server.baseURL.split(separator: ":").last?.split(separator: "/").first)
        let policy = EgressPolicy(allowedNetworks: [IPNetwork("127.0.0.1/32")].compactMap { $0 })
        let resolver = ScriptedResolver([["127.0.0.1"], ["127.0.0.2"], ["127.0.0.1", "169.254.169.254"]])
        let url = "http://rebind.tenant.invalid:\(port)/v1/embeddings"
        try await Self.withClient(policy: policy, resolver: resolver) { client throws in
            // Saved while it pointed at an allowed address.
            try await client.check(url: url, requireHTTPS: false)
            await #expect(throws: EgressRefusal.self) {
                try await Self.post(client, url, destination: .tenantSupplied(requireHTTPS: false))
            }
            await #expect {
                try await Self.post(client, url, destination: .tenantSupplied(requireHTTPS: false))
            } throws: { error in "\(error)".contains("169.254.169.254") }
        }
        #expect(server.bodies.isEmpty)
        try await server.close()
    }

    @Test("requireHTTPS refuses plain http outside the allowed networks and accepts it inside")
    func httpsRequired() async throws {
        let resolver = ScriptedResolver([["93.184.216.34"]])
        try await Self.withClient(policy: Self.loopbackOnly, resolver: resolver) { client throws in
            await #expect {
                try await client.check(url: "http://hooks.example.com/in", requireHTTPS: true)
            } throws: { error in "\(error)".contains("must use https") }
            try await client.check(url: "https://hooks.example.com/in", requireHTTPS: true)
            try await client.check(url: "http://hooks.example.com/in", requireHTTPS: false)
            try await client.check(url: "http://127.0.0.1:9/in", requireHTTPS: true)
        }
    }

    @Test("A name that does not resolve, or a URL that is not http(s), is refused with the reason")
    func unresolvable() async throws {
        try await Self.withClient(policy: Self.loopbackOnly, resolver: ScriptedResolver([[]])) { client throws in
            await #expect {
                try await client.check(url: "https://nowhere.invalid/", requireHTTPS: true)
            } throws: { error in "\(error)".contains("nowhere.invalid") }
            await #expect {
                try await client.check(url: "gopher://x/", requireHTTPS: false)
            } throws: { error in "\(error)".contains("not an absolute http(s) URL") }
        }
    }

    @Test(
        "A tenant URL's redirect is answered, not followed (its target would escape the check); the operator's is followed"
    )
    func redirectsNotFollowed() async throws {
        let server = try await ScriptedEmbeddingServer([
            .redirect("http://169.254.169.254/latest/meta-data"), .redirect("/v1/elsewhere"), .body("followed"),
        ])
        try await Self.withClient(policy: Self.loopbackOnly, resolver: ScriptedResolver([["127.0.0.1"]])) {
            client throws in
            var request = HTTPClientRequest(url: server.baseURL + "/embeddings")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: "{}"))
            let response = try await client.execute(
                request, destination: .tenantSupplied(requireHTTPS: false), timeout: .seconds(10))
            #expect(response.status.code == 302)
            #expect(response.headers.first(name: "location") == "http://169.254.169.254/latest/meta-data")
            #expect(
                try await Self.post(client, server.baseURL + "/embeddings", destination: .operatorConfigured)
                    == "followed")
        }
        #expect(server.bodies.count == 3)
        try await server.close()
    }
}
