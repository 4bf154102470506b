import EchoFixture
import Monitoring
import Prometheus
import RPCServer
import Testing

@Suite("Server metrics")
struct PrometheusRPCMetricsTests {
    @Test("Calls are counted by method, status and face with their latency; connections and streams are gauged")
    func countsCallsConnectionsAndStreams() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusRPCMetrics(registry: registry)
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        let textWhileOpen = try await RunningServer.with(
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
            let text = registry.emitToString()
            await transport.close()
            return text
        }

        #expect(MetricsText.value(textWhileOpen, "rpc_server_active_connections") == 1)
        let text = registry.emitToString()
        let get = #"method="/metachat.fixture.v1.EchoService/Get""#
        #expect(MetricsText.value(text, #"rpc_server_calls_total{\#(get),status="OK",face="grpc"}"#) == 2)
        #expect(
            MetricsText.value(text, #"rpc_server_calls_total{\#(get),status="INVALID_ARGUMENT",face="grpc"}"#) == 1)
        #expect(MetricsText.value(text, #"rpc_server_call_duration_seconds_count{\#(get),face="grpc"}"#) == 3)
        #expect(
            MetricsText.value(text, #"rpc_server_call_duration_seconds_bucket{\#(get),face="grpc",le="+Inf"}"#) == 3)
        #expect(MetricsText.value(text, "rpc_server_active_streams") == 0)
        #expect(text.contains("# HELP rpc_server_calls_total "))
    }

    @Test("Calls to paths no method serves share one 'unknown' label, whatever paths clients choose")
    func unknownMethodsShareOneLabel() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusRPCMetrics(registry: registry)
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

        let text = registry.emitToString()
        #expect(
            MetricsText.value(text, #"rpc_server_calls_total{method="unknown",status="UNIMPLEMENTED",face="grpc"}"#)
                == 50)
        #expect(!text.contains("made.Up"))
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("rpc_server_calls_total{") }.count == 1)
    }

    @Test("REST calls land in the same series with face=\"rest\"; each face has its own latency histogram")
    func restFaceHasItsOwnLabel() {
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusRPCMetrics(registry: registry)
        metrics.callFinished(path: "/p.S/M", code: .ok, transport: .grpc, duration: .milliseconds(2))
        metrics.callFinished(path: "/p.S/M", code: .ok, transport: .http, duration: .milliseconds(20))
        metrics.callFinished(path: "/p.S/M", code: .notFound, transport: .http, duration: .milliseconds(3))

        let text = registry.emitToString()
        #expect(MetricsText.value(text, #"rpc_server_calls_total{method="/p.S/M",status="OK",face="grpc"}"#) == 1)
        #expect(MetricsText.value(text, #"rpc_server_calls_total{method="/p.S/M",status="OK",face="rest"}"#) == 1)
        #expect(
            MetricsText.value(text, #"rpc_server_calls_total{method="/p.S/M",status="NOT_FOUND",face="rest"}"#) == 1)
        #expect(MetricsText.value(text, #"rpc_server_call_duration_seconds_count{method="/p.S/M",face="rest"}"#) == 2)
        #expect(
            MetricsText.value(
                text, #"rpc_server_call_duration_seconds_bucket{method="/p.S/M",face="rest",le="0.005"}"#) == 1)
    }

    @Test("Label values are escaped as the Prometheus text format requires")
    func labelValuesAreEscaped() {
        let registry = PrometheusCollectorRegistry()
        PrometheusRPCMetrics(registry: registry).callFinished(
            path: "/a\"b\\c\nd", code: .ok, transport: .grpc, duration: .milliseconds(1))

        let text = registry.emitToString()
        #expect(text.contains(#"rpc_server_calls_total{method="/a\"b\\c\nd",status="OK",face="grpc"} 1"#))
        #expect(text.split(separator: "\n").allSatisfy { !$0.hasPrefix("d") })
    }

    @Test("Many tasks counting at once lose no call")
    func concurrentCallsAreAllCounted() async {
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusRPCMetrics(registry: registry)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<1000 {
                        metrics.callFinished(
                            path: "/p.S/M\(index % 4)", code: task % 2 == 0 ? .ok : .internalError, transport: .grpc,
                            duration: .microseconds(index))
                    }
                }
            }
        }
        let text = registry.emitToString()
        var total = 0.0
        for method in 0..<4 {
            for status in ["OK", "INTERNAL"] {
                total +=
                    MetricsText.value(
                        text, #"rpc_server_calls_total{method="/p.S/M\#(method)",status="\#(status)",face="grpc"}"#)
                    ?? 0
            }
        }
        #expect(total == 8000)
    }
}
