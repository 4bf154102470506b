import EchoFixture
import Logging
import RPCServer
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing

@Suite("RPCServer as a Service")
struct RPCServerServiceTests {
    @Test("Graceful shutdown of its service group stops the server: run() returns once its connections closed")
    func gracefulShutdownStopsTheServer() async throws {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        let server = RPCServer(
            configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0, maxRequestBodyBytes: 1024),
            router: router,
            responder: NotFoundResponder(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        try await testGracefulShutdown { trigger in
            async let running: Void = server.run { portContinuation.yield($0) }
            var portIterator = ports.makeAsyncIterator()
            let port = try #require(await portIterator.next())
            let transport = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: port)
            var request = Metachat_Fixture_V1_EchoRequest()
            request.text = "before"
            #expect(
                try await Metachat_Fixture_V1_EchoService.Client(transport: transport).get(request).text == "before")
            await transport.close()

            trigger.triggerGracefulShutdown()
            // Returns: the listener closed, every connection closed, every handler task ended.
            try await running
        }
    }
}
