import EchoFixture
import RPCServer
import Testing

@Suite("Server metrics")
struct InMemoryRPCMetricsTests {
    @Test("Calls are counted by method and status with their latency; connections and streams are gauged")
    func countsCallsConnectionsAndStreams() async throws {
        let metrics = InMemoryRPCMetrics()
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        let connectionsWhileOpen = try await RunningServer.with(
            router: router,
            responder: NotFoundResponder(),
            metrics: metrics
        ) { port in
            let transport = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: port)
            let client = Metachat_Fixture_V1_EchoService.Client(transport: transport)
            var request = Metachat_Fixture_V1_EchoRequest()
            request.text = "ok"
            _ = try await client.get(request)
            _ = try await client.get(request)
            request.text = "fail:no"
            _ = try? await client.get(request)
            let open = metrics.activeConnections
            await transport.close()
            return open
        }

        #expect(connectionsWhileOpen == 1)
        let get = try #require(metrics.methods["/metachat.fixture.v1.EchoService/Get"])
        #expect(get.callsByStatus == ["OK": 2, "INVALID_ARGUMENT": 1])
        #expect(get.latencyBucketCounts.reduce(0, +) == 3)
        #expect(metrics.activeStreams == 0)
        let text = metrics.prometheusText()
        #expect(text.contains(#"rpc_server_calls_total{method="/metachat.fixture.v1.EchoService/Get",status="OK"} 2"#))
        #expect(
            text.contains(#"rpc_server_call_duration_seconds_count{method="/metachat.fixture.v1.EchoService/Get"} 3"#))
    }
}
