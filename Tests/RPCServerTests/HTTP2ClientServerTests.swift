import EchoFixture
import RPCServer
import Testing

@Suite("gRPC over a real HTTP/2 socket with the generated client")
struct HTTP2ClientServerTests {
    private static func withEchoClient<Result: Sendable>(
        _ body: (Metachat_Fixture_V1_EchoService.Client, HTTP2ClientTransport) async throws -> Result
    ) async throws -> Result {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        return try await RunningServer.with(router: router, responder: NotFoundResponder(), maxRequestBodyBytes: 1024) {
            port in
            let transport = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: port)
            do {
                let result = try await body(Metachat_Fixture_V1_EchoService.Client(transport: transport), transport)
                await transport.close()
                return result
            } catch {
                await transport.close()
                throw error
            }
        }
    }

    private static func request(_ text: String, repeat count: Int32 = 0) -> Metachat_Fixture_V1_EchoRequest {
        var request = Metachat_Fixture_V1_EchoRequest()
        request.text = text
        request.repeat = count
        return request
    }

    @Test("Unary, server-, client- and bidirectional-streaming calls all round-trip over one connection")
    func everyCallKind() async throws {
        try await Self.withEchoClient { client, _ in
            var labelled = Self.request("héllo")
            labelled.labels = ["k": "v"]
            let unary = try await client.get(labelled)
            #expect(unary.text == "héllo" && unary.labels == ["k": "v"])

            let indexes = try await client.expand(Self.request("x", repeat: 2000)) { responses in
                var indexes: [Int32] = []
                for try await response in responses { indexes.append(response.index) }
                return indexes
            }
            #expect(indexes == Array(0..<2000))

            let collected = try await client.collect { writer in
                for word in ["a", "b", "c"] { try await writer.write(Self.request(word)) }
            }
            #expect(collected.text == "a b c")

            let chatted = try await client.chat { writer in
                for word in ["ping", "pong"] { try await writer.write(Self.request(word)) }
            } onResponse: { responses in
                var texts: [String] = []
                for try await response in responses { texts.append(response.text) }
                return texts
            }
            #expect(chatted == ["ping", "pong"])
        }
    }

    @Test("A handler's status and non-ASCII message reach the client through the trailers")
    func statusReachesClient() async throws {
        let error = try await Self.withEchoClient { client, _ in
            await #expect(throws: RPCError.self) { try await client.get(Self.request("fail:naïve ✓ 100%")) }
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "naïve ✓ 100%")
    }

    @Test("A deadline sent as grpc-timeout ends a waiting call with DEADLINE_EXCEEDED")
    func deadlineExceeded() async throws {
        let error = try await Self.withEchoClient { client, _ in
            await #expect(throws: RPCError.self) {
                try await client.get(Self.request("wait"), options: CallOptions(timeout: .milliseconds(100)))
            }
        }
        #expect(error?.code == .deadlineExceeded)
    }

    @Test("An unknown method answers UNIMPLEMENTED; the health service answers SERVING for the routed service")
    func unknownMethodAndHealth() async throws {
        try await Self.withEchoClient { _, transport in
            let client = RPCClient(transport: transport)
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(
                    MethodDescriptor(service: "metachat.fixture.v1.EchoService", method: "Nope", kind: .unary),
                    request: [],
                    serializer: RawBytes(),
                    deserializer: RawBytes(),
                    metadata: [:],
                    options: .defaults
                )
            }
            #expect(error?.code == .unimplemented)

            var check = Grpc_Health_V1_HealthCheckRequest()
            check.service = "metachat.fixture.v1.EchoService"
            let health = try await client.unary(
                MethodDescriptor(service: "grpc.health.v1.Health", method: "Check", kind: .unary),
                request: check,
                serializer: ProtobufSerializer(),
                deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckResponse>(),
                metadata: [:],
                options: .defaults
            )
            #expect(health.status == .serving)
        }
    }

    @Test("Two hundred concurrent unary calls on one connection are each answered with their own text")
    func concurrentCalls() async throws {
        let mismatches = try await Self.withEchoClient { client, _ in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask { try await client.get(Self.request("call-\(index)")).text == "call-\(index)" }
                }
                var mismatches = 0
                for try await matched in group where !matched { mismatches += 1 }
                return mismatches
            }
        }
        #expect(mismatches == 0)
    }
}
