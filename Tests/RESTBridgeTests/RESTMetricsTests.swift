import EchoFixture
import Logging
import RESTBridge
import RPCServer
import Synchronization
import Testing

/// Keeps every finished call it hears of.
private final class RecordingMetrics: RPCServerMetrics {
    struct Call: Equatable {
        var path: String
        var code: RPCError.Code
        var transport: CallTransport
    }

    let calls = Mutex<[Call]>([])

    func connectionOpened() {}
    func connectionClosed() {}
    func streamOpened() {}
    func streamClosed() {}
    func callFinished(path: String, code: RPCError.Code, transport: CallTransport, duration: Duration) {
        self.calls.withLock { $0.append(Call(path: path, code: code, transport: transport)) }
    }
}

@Suite("REST face metrics")
struct RESTMetricsTests {
    private static func gateway(_ metrics: RecordingMetrics) throws -> RESTGateway {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        var raw = RawRouteTable()
        raw.add("GET", "/ping") { _ in .json(status: 200, #"{"pong":true}"#) }
        return try RESTGateway(
            routes: Metachat_Fixture_V1_EchoService.restRoutes,
            dispatcher: RPCDispatcher(router: router, interceptors: []),
            schema: SchemaRegistry(descriptorSets: [EchoDescriptorSet.bytes]),
            rawRoutes: raw,
            metrics: metrics,
            logger: Logger(label: "test"))
    }

    private static func send(_ gateway: RESTGateway, _ method: String, _ target: String, json: String = "") async
        -> HTTPResponse
    {
        await gateway.respond(
            to: HTTPRequest(
                method: method, target: target,
                headers: json.isEmpty ? [] : [("content-type", "application/json")], body: Array(json.utf8),
                peer: "127.0.0.1:50000"))
    }

    @Test("Each REST call is reported once with its method path, status and face; raw routes are not calls")
    func callsAreReported() async throws {
        let metrics = RecordingMetrics()
        let gateway = try Self.gateway(metrics)
        let path = "/metachat.fixture.v1.EchoService/Get"

        #expect(await Self.send(gateway, "GET", "/v1/echo/hello").status == 200)
        #expect(await Self.send(gateway, "GET", "/v1/echo/fail:no").status == 400)
        #expect(await Self.send(gateway, "GET", "/v1/echo/a?big=not-a-number").status == 400)
        #expect(await Self.send(gateway, "GET", "/ping").status == 200)
        #expect(await Self.send(gateway, "GET", "/no/such/route/\(UInt64.random(in: 0...UInt64.max))").status == 404)

        let calls = metrics.calls.withLock { $0 }
        #expect(
            calls == [
                .init(path: path, code: .ok, transport: .http),
                .init(path: path, code: .invalidArgument, transport: .http),
                .init(path: path, code: .invalidArgument, transport: .http),
                .init(path: RPCServerMetricsLabel.unknownMethod, code: .notFound, transport: .http),
            ])
    }
}
