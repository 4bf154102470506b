import EchoFixture
import Logging
import RPCServer
import Testing

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    private static func request(_ text: String) -> Metachat_Fixture_V1_EchoRequest {
        var request = Metachat_Fixture_V1_EchoRequest()
        request.text = text
        return request
    }

    @Test("After shutDown an in-flight stream still completes, health turns NOT_SERVING, new connections are refused")
    func inFlightCallsFinishAndNewOnesAreRefused() async throws {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        let server = RPCServer(
            configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0, maxRequestBodyBytes: 1024),
            router: router,
            responder: NotFoundResponder(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let running = Task { try await server.run { portContinuation.yield($0) } }
        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())

        let transport = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: port)
        let client = Metachat_Fixture_V1_EchoService.Client(transport: transport)
        // A bidirectional call that is answered once before shutdown and once after it.
        let (outgoing, outgoingContinuation) = AsyncStream<Metachat_Fixture_V1_EchoRequest>.makeStream()
        let (answers, answerContinuation) = AsyncStream<String>.makeStream()
        let call = Task {
            try await client.chat { writer in
                for await message in outgoing { try await writer.write(message) }
            } onResponse: { responses in
                var texts: [String] = []
                for try await response in responses {
                    texts.append(response.text)
                    answerContinuation.yield(response.text)
                }
                return texts
            }
        }
        var answerIterator = answers.makeAsyncIterator()
        outgoingContinuation.yield(Self.request("before"))
        #expect(await answerIterator.next() == "before")

        server.shutDown(gracePeriod: .seconds(30))
        #expect(server.health.status(ofService: "metachat.fixture.v1.EchoService") == .notServing)

        outgoingContinuation.yield(Self.request("after"))
        #expect(await answerIterator.next() == "after")
        outgoingContinuation.finish()
        #expect(try await call.value == ["before", "after"])

        await #expect(throws: (any Error).self) {
            let late = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: port)
            _ = try await Metachat_Fixture_V1_EchoService.Client(transport: late).get(Self.request("late"))
        }
        await transport.close()
        try await running.value
    }
}
