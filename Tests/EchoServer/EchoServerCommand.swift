import CJemalloc
import Dispatch
import EchoFixture
import FoundationEssentials
import Glibc
import Logging
import Monitoring
import Prometheus
import RESTBridge
import RPCServer

/// Serves the echo fixture on `127.0.0.1:<port>` for interop tests and benchmarks: gRPC, and
/// the fixture's REST routes through the REST gateway.
///
/// Usage: `echo-server [port] [--auth]` (0 or none picks a free port). Prints `listening <port>`
/// on one line once it accepts connections, after `allocator: jemalloc <version>` on standard
/// error; stops on SIGTERM or when standard input closes.
/// With `--auth` every echo call passes the production authentication and rate-limit
/// interceptors (``EchoAuthentication``), so it needs a tenant or admin key.
/// `API_CORS_ORIGINS`, `TRUSTED_PROXIES`, `SSE_HEARTBEAT_SECONDS` and
/// `REQUEST_BODY_TIMEOUT_SECONDS` are read as `metachat serve` reads them.
/// `echo-server --measure-interceptors` serves nothing: it times the `--auth` interceptors in a
/// loop with the key in `BENCH_API_KEY` (``InterceptorMeasurement``), prints the result and exits.
@main
enum EchoServerCommand {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        let port = arguments.first.flatMap { Int($0) } ?? 0
        let measuresInterceptors = arguments.contains("--measure-interceptors")
        let requiresKeys = arguments.contains("--auth") || measuresInterceptors
        let environment = ProcessInfo.processInfo.environment
        let allocator = cjemalloc_version().map { "jemalloc " + String(cString: $0) } ?? "unknown"
        Self.writeLine("allocator: \(allocator)", to: STDERR_FILENO)
        var logger = Logger(label: "echo-server")
        logger.logLevel = .warning
        let authentication = requiresKeys ? try EchoAuthentication(environment: environment, logger: logger) : nil
        if measuresInterceptors, let authentication {
            guard let key = environment["BENCH_API_KEY"], !key.isEmpty else {
                throw EchoAuthentication.Misconfigured(description: "--measure-interceptors needs BENCH_API_KEY")
            }
            try await InterceptorMeasurement(interceptors: authentication.interceptors, apiKey: key).run()
            await authentication.shutdown()
            return
        }
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        var routes = RawRouteTable()
        routes.add("GET", "/ping") { _ in .json(status: 200, #"{"pong":true}"#) }
        routes.add("POST", "/upload", maxBodyBytes: 64 * 1024) { request in
            .json(status: 200, #"{"received":\#(request.body.count)}"#)
        }
        let interceptors = authentication?.interceptors ?? []
        var rest = RESTConfiguration()
        rest.cors = CORSPolicy(list: environment["API_CORS_ORIGINS"] ?? "")
        if let proxies = environment["TRUSTED_PROXIES"] {
            rest.trustedProxies = proxies.split(separator: ",").compactMap { IPNetwork(String($0)) }
        }
        if let seconds = environment["SSE_HEARTBEAT_SECONDS"].flatMap(Double.init) {
            rest.heartbeatInterval = .milliseconds(Int(seconds * 1000))
        }
        // ECHO_METRICS=1 measures every call as `metachat serve` does, for benchmarks with and
        // without them (docs/benchmarks.md, "Metrics").
        let metrics: any RPCServerMetrics =
            environment["ECHO_METRICS"] == "1"
            ? PrometheusRPCMetrics(registry: PrometheusCollectorRegistry()) : NoMetrics()
        let gateway = try RESTGateway(
            routes: Metachat_Fixture_V1_EchoService.restRoutes,
            dispatcher: RPCDispatcher(router: router, interceptors: interceptors),
            schema: try SchemaRegistry(descriptorSets: [EchoDescriptorSet.bytes]),
            rawRoutes: routes,
            configuration: rest,
            metrics: metrics,
            logger: logger
        )
        var configuration = RPCServerConfiguration(host: "127.0.0.1", port: port, maxRequestBodyBytes: 5 * 1024 * 1024)
        configuration.webSocket = EchoWebSocketRoute.limits
        configuration.trustedProxies = rest.trustedProxies
        if let seconds = environment["REQUEST_BODY_TIMEOUT_SECONDS"].flatMap(Int.init), (1...3600).contains(seconds) {
            configuration.requestBodyTimeout = .seconds(seconds)
        }
        let server = RPCServer(
            configuration: configuration,
            router: router,
            interceptors: interceptors,
            responder: gateway,
            webSockets: EchoWebSocketRoute.table(),
            reflection: try ReflectionService(descriptorSets: [EchoDescriptorSet.bytes]),
            metrics: metrics,
            logger: logger
        )
        // A blocking read, so on a thread of its own rather than the cooperative pool.
        DispatchQueue(label: "echo-server.stdin").async {
            while readLine() != nil {}
            server.shutDown()
        }
        try await server.run { port in
            Self.writeLine("listening \(port)", to: STDOUT_FILENO)
        }
        await authentication?.shutdown()
    }

    /// Writes one line straight to a descriptor, unbuffered. Not through stdio: flushing its
    /// streams would wait for stdin's lock, which the watcher holds while it reads.
    private static func writeLine(_ text: String, to descriptor: Int32) {
        var line = text + "\n"
        line.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}
