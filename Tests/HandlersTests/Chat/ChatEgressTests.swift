import Foundation
import Handlers
import RPCServer
import Testing

/// A resolver answering scripted addresses, one list per lookup (the last repeats).
private final class ChangingResolver: HostResolver {
    private let answers: LockedBox<[[String]]>

    init(_ answers: [[String]]) {
        self.answers = LockedBox(answers)
    }

    func addresses(of host: String) async throws -> [ClientAddress] {
        let texts = self.answers.withLock { answers in answers.count > 1 ? answers.removeFirst() : answers[0] }
        return texts.compactMap { ClientAddress($0) }
    }
}

/// The egress guard in front of a tenant's model base URL: a private address is refused
/// (FAILED_PRECONDITION naming it, nothing sent), an allowed CIDR is reached, and a name that
/// resolves to a public address when saved and a private one when called (DNS rebinding) is
/// caught at connect time.
@Suite("Chat egress guard")
struct ChatEgressTests {
    static func withModel(
        baseURL: String, policy: EgressPolicy, resolver: any HostResolver,
        _ body: (any ChatModel, OutboundHTTPClient) async throws -> Void
    ) async throws {
        let client = OutboundHTTPClient(policy: policy, resolver: resolver)
        let model = OpenAIChatModel(
            baseURL: baseURL, apiKey: "sk-tenant-key", defaultModel: "m", transport: client,
            policy: ChatModelClientTests.policy, breaker: CircuitBreaker(), tenantSupplied: true)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await body(model, client)
        }
    }

    @Test("A tenant base URL on loopback is refused without a request; FAILED_PRECONDITION names the address")
    func privateRefused() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["hi"])])
        try await Self.withModel(
            baseURL: server.baseURL, policy: EgressPolicy(), resolver: ChangingResolver([["127.0.0.1"]])
        ) {
            model, _ in
            do {
                _ = try await model.generate(ChatModelClientTests.request()) { _ in }
                Issue.record("a loopback base URL must be refused")
            } catch let error as ChatModelError {
                #expect(error.rpcError.code == .failedPrecondition)
                #expect(error.message.contains("127.0.0.1") && error.message.contains("OUTBOUND_ALLOW_CIDRS"))
            }
        }
        #expect(server.requests.isEmpty)
        try await server.close()
    }

    @Test("Inside OUTBOUND_ALLOW_CIDRS the same base URL is reached")
    func allowedCIDR() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["allowed"])])
        let policy = EgressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")].compactMap { $0 })
        try await Self.withModel(baseURL: server.baseURL, policy: policy, resolver: ChangingResolver([["127.0.0.1"]])) {
            model, _ in
            let pieces = ChatModelClientTests.Pieces()
            _ = try await model.generate(ChatModelClientTests.request()) { pieces.all.append($0) }
            #expect(pieces.all == ["allowed"])
        }
        #expect(server.requests.count == 1)
        try await server.close()
    }

    @Test("DNS rebinding: a name public when saved and private when called is refused at connect time")
    func rebindingCaught() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["never"])])
        let port = try #require(server.baseURL.split(separator: ":").last?.split(separator: "/").first)
        let resolver = ChangingResolver([["93.184.216.34"], ["10.0.0.7"]])
        try await Self.withModel(
            baseURL: "http://models.example:\(port)/v1", policy: EgressPolicy(), resolver: resolver
        ) { model, client in
            // Saving the settings checked the name: it was public then.
            _ = try await client.check(url: "http://models.example:\(port)/v1", requireHTTPS: false)
            do {
                _ = try await model.generate(ChatModelClientTests.request()) { _ in }
                Issue.record("the rebound name must be refused")
            } catch let error as ChatModelError {
                #expect(error.rpcError.code == .failedPrecondition)
                #expect(error.message.contains("10.0.0.7"))
            }
        }
        #expect(server.requests.isEmpty)
        try await server.close()
    }
}
