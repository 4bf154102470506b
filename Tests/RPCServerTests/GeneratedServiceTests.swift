import EchoFixture
import RPCServer
import Testing

@Suite("Generated service code over the in-process transport")
struct GeneratedServiceTests {
    private let client: Metachat_Fixture_V1_EchoService.Client

    init() {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        self.client = Metachat_Fixture_V1_EchoService.Client(transport: InProcessTransport(router: router))
    }

    @Test("registerMethods adds every method of the service under its gRPC path")
    func registersEveryMethod() {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)

        #expect(router.methods.map(\.path).sorted() == Metachat_Fixture_V1_EchoService.Method.all.map(\.path).sorted())
        #expect(router.serviceNames == ["metachat.fixture.v1.EchoService"])
        #expect(
            router.handler(forPath: "/metachat.fixture.v1.EchoService/Chat")?.descriptor.kind == .bidirectionalStreaming
        )
    }

    @Test("A unary call round-trips the request through encoding, the handler and decoding")
    func unaryRoundTrip() async throws {
        var request = Metachat_Fixture_V1_EchoRequest()
        request.text = "héllo"
        request.labels = ["a": "1", "b": "2"]

        let response = try await self.client.get(request)

        #expect(response.text == "héllo")
        #expect(response.labels == ["a": "1", "b": "2"])
    }

    @Test("Request metadata reaches the handler's context")
    func metadataReachesHandler() async throws {
        let response = try await self.client.probe(
            Metachat_Fixture_V1_EchoRequest(), metadata: ["x-probe": .string("seen")])

        #expect(response.text == "seen")
    }

    @Test("A server-streaming call delivers every response in order")
    func serverStreaming() async throws {
        var request = Metachat_Fixture_V1_EchoRequest()
        request.text = "again"
        request.repeat = 50

        let indexes = try await self.client.expand(request) { responses in
            var indexes: [Int32] = []
            for try await response in responses { indexes.append(response.index) }
            return indexes
        }

        #expect(indexes == Array(0..<50))
    }

    @Test("A client-streaming call sees every request before answering")
    func clientStreaming() async throws {
        let response = try await self.client.collect { writer in
            for word in ["one", "two", "three"] {
                var request = Metachat_Fixture_V1_EchoRequest()
                request.text = word
                try await writer.write(request)
            }
        }

        #expect(response.text == "one two three")
        #expect(response.summary.count == 3)
    }

    @Test("A bidirectional call answers each request as it arrives")
    func bidirectionalStreaming() async throws {
        let texts = try await self.client.chat { writer in
            for word in ["ping", "pong"] {
                var request = Metachat_Fixture_V1_EchoRequest()
                request.text = word
                try await writer.write(request)
            }
        } onResponse: { responses in
            var texts: [String] = []
            for try await response in responses { texts.append("\(response.index):\(response.text)") }
            return texts
        }

        #expect(texts == ["0:ping", "1:pong"])
    }

    @Test("An RPCError thrown by a handler reaches the client with its code and message")
    func handlerErrorsReachClient() async throws {
        var request = Metachat_Fixture_V1_EchoRequest()
        request.text = "fail:now"

        let error = await #expect(throws: RPCError.self) { try await self.client.get(request) }

        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "now")
    }

    @Test("An error from inside a stream ends the stream with its status")
    func streamErrorsReachClient() async throws {
        let error = await #expect(throws: RPCError.self) {
            try await self.client.chat { writer in
                var request = Metachat_Fixture_V1_EchoRequest()
                request.text = "fine"
                try await writer.write(request)
                request.text = "fail:mid-stream"
                try await writer.write(request)
            } onResponse: { responses in
                for try await _ in responses {}
            }
        }

        #expect(error?.code == .invalidArgument)
    }

    @Test("Any other error becomes INTERNAL with a fixed message that leaks nothing")
    func unknownErrorsDoNotLeak() async throws {
        var request = Metachat_Fixture_V1_EchoRequest()
        request.text = "fail:secret"

        let error = await #expect(throws: RPCError.self) { try await self.client.get(request) }

        #expect(error?.code == .internalError)
        #expect(error?.message == RPCError.unknownErrorMessage)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test("Calling a method the router does not know answers UNIMPLEMENTED")
    func unknownMethodIsUnimplemented() async throws {
        let emptyClient = Metachat_Fixture_V1_EchoService.Client(transport: InProcessTransport(router: RPCRouter()))

        let error = await #expect(throws: RPCError.self) {
            try await emptyClient.get(Metachat_Fixture_V1_EchoRequest())
        }

        #expect(error?.code == .unimplemented)
        #expect(error?.message.contains("/metachat.fixture.v1.EchoService/Get") == true)
    }
}
