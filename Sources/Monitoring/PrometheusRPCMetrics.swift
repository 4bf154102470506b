package import Prometheus
package import RPCServer
internal import Synchronization

/// The transport's measurements on a Prometheus registry: connections and HTTP/2 streams open
/// now, and every call by method, status and face (`grpc` or `rest`) with a latency histogram
/// per method and face (docs/metrics.md).
///
/// Called on event loops for every call, so each (method, status, face) gets its counter and
/// histogram from the registry once and keeps them in a dictionary behind one lock; a call then
/// costs a dictionary lookup, an atomic add and a histogram update, and formats no strings.
package final class PrometheusRPCMetrics: RPCServerMetrics {
    /// The upper bounds of the latency buckets.
    package static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    private struct Key: Hashable {
        var path: String
        var code: RPCError.Code
        var transport: CallTransport
    }

    private struct Handles {
        var calls: Counter
        var duration: DurationHistogram
    }

    private let registry: PrometheusCollectorRegistry
    private let connections: Gauge
    private let streams: Gauge
    private let handles = Mutex<[Key: Handles]>([:])

    /// Registers the transport's metrics.
    ///
    /// - Parameter registry: Where they are kept and rendered from.
    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.connections = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "rpc_server_active_connections", unitName: "",
                helpText: "Client connections open now (HTTP/1.1 and HTTP/2)."))
        self.streams = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                metricName: "rpc_server_active_streams", unitName: "", helpText: "HTTP/2 streams open now."))
    }

    /// The `face` label of a transport.
    package static func face(_ transport: CallTransport) -> String {
        switch transport {
        case .grpc: "grpc"
        case .grpcWeb: "grpc_web"
        case .http: "rest"
        case .inProcess: "in_process"
        }
    }

    package func connectionOpened() { self.connections.increment() }
    package func connectionClosed() { self.connections.decrement() }
    package func streamOpened() { self.streams.increment() }
    package func streamClosed() { self.streams.decrement() }

    package func callFinished(path: String, code: RPCError.Code, transport: CallTransport, duration: Duration) {
        let key = Key(path: path, code: code, transport: transport)
        let handles = self.handles.withLock { handles in
            if let found = handles[key] { return found }
            let made = self.makeHandles(key)
            handles[key] = made
            return made
        }
        handles.calls.increment()
        handles.duration.record(duration)
    }

    private func makeHandles(_ key: Key) -> Handles {
        let face = Self.face(key.transport)
        return Handles(
            calls: self.registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    metricName: "rpc_server_calls_total", unitName: "",
                    helpText: "Finished calls by method, status and face (grpc, rest)."),
                labels: [("method", key.path), ("status", key.code.name), ("face", face)]),
            duration: self.registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(
                    metricName: "rpc_server_call_duration", unitName: "seconds",
                    helpText: "Call latency by method and face, from the request headers to the status."),
                labels: [("method", key.path), ("face", face)],
                buckets: Self.latencyBuckets))
    }
}
