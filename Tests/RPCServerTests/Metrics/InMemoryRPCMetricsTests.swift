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

    @Test("Calls to paths no method serves share one 'unknown' label, whatever paths clients choose")
    func unknownMethodsShareOneLabel() async throws {
        let metrics = InMemoryRPCMetrics()
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        try await RunningServer.with(router: router, responder: NotFoundResponder(), metrics: metrics) { port in
            let transport = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: port)
            for index in 0..<50 {
                let descriptor = MethodDescriptor(service: "made.Up\(index)", method: "Call\"\(index)", kind: .unary)
                _ = try? await transport.unary(descriptor, request: [], metadata: Metadata(), options: CallOptions())
            }
            await transport.close()
        }

        #expect(Set(metrics.methods.keys) == [RPCServerMetricsLabel.unknownMethod])
        #expect(metrics.methods[RPCServerMetricsLabel.unknownMethod]?.callsByStatus == ["UNIMPLEMENTED": 50])
        #expect(!metrics.prometheusText().contains("made.Up"))
    }

    @Test("Label values are escaped as the Prometheus text format requires")
    func labelValuesAreEscaped() {
        let metrics = InMemoryRPCMetrics()
        metrics.callFinished(path: "/a\"b\\c\nd\r\ne", code: .ok, duration: .milliseconds(1))

        let text = metrics.prometheusText()
        #expect(text.contains(#"rpc_server_calls_total{method="/a\"b\\c\nd\#r\ne",status="OK"} 1"#))
        #expect(InMemoryRPCMetrics.escapedLabelValue("plain/Path") == "plain/Path")
        #expect(text.split(separator: "\n").allSatisfy { !$0.hasPrefix("d") && !$0.hasPrefix("e") })
    }
}
