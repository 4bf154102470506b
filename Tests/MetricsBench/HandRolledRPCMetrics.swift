import RPCServer
import Synchronization

/// The reference: the hand-rolled metrics `serve` used before swift-prometheus (one mutex,
/// a dictionary of per-method statistics keyed by path), kept here only to be measured against.
final class HandRolledRPCMetrics: RPCServerMetrics {
    /// The upper bounds of the latency buckets, in seconds.
    static let latencyBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    /// A snapshot of one method's calls.
    struct MethodStatistics: Sendable, Hashable {
        /// Calls per status name (e.g. `OK`, `NOT_FOUND`).
        var callsByStatus: [String: Int] = [:]
        /// Calls per latency bucket (same order as ``HandRolledRPCMetrics/latencyBuckets``, plus
        /// one for slower calls).
        var latencyBucketCounts = [Int](repeating: 0, count: HandRolledRPCMetrics.latencyBuckets.count + 1)
        /// The sum of all latencies, in seconds.
        var latencySum: Double = 0
    }

    private struct State {
        var activeConnections = 0
        var activeStreams = 0
        var methods: [String: MethodStatistics] = [:]
    }

    private let state = Mutex(State())

    /// Creates empty metrics.
    init() {}

    func connectionOpened() { self.state.withLock { $0.activeConnections += 1 } }
    func connectionClosed() { self.state.withLock { $0.activeConnections -= 1 } }
    func streamOpened() { self.state.withLock { $0.activeStreams += 1 } }
    func streamClosed() { self.state.withLock { $0.activeStreams -= 1 } }

    func callFinished(path: String, code: RPCError.Code, transport: CallTransport, duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let elapsed = Double(seconds) + Double(attoseconds) / 1e18
        let bucket = Self.latencyBuckets.firstIndex { elapsed <= $0 } ?? Self.latencyBuckets.count
        self.state.withLock { state in
            state.methods[path, default: MethodStatistics()].callsByStatus[code.name, default: 0] += 1
            state.methods[path, default: MethodStatistics()].latencyBucketCounts[bucket] += 1
            state.methods[path, default: MethodStatistics()].latencySum += elapsed
        }
    }

    /// Connections open now.
    var activeConnections: Int { self.state.withLock { $0.activeConnections } }
    /// HTTP/2 streams open now.
    var activeStreams: Int { self.state.withLock { $0.activeStreams } }
    /// Per-method statistics, keyed by path.
    var methods: [String: MethodStatistics] { self.state.withLock { $0.methods } }

    /// A label value as the Prometheus text format writes it: backslash, double quote and line
    /// feed escaped.
    ///
    /// - Parameter value: The raw value.
    static func escapedLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 0x0A }) else {
            return value
        }
        // Scalars, not characters: "\r\n" is one character but two scalars.
        var escaped = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": escaped.append(contentsOf: "\\\"".unicodeScalars)
            case "\n": escaped.append(contentsOf: "\\n".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }

    /// The metrics in the Prometheus text exposition format.
    func prometheusText() -> String {
        let (connections, streams, methods) = self.state.withLock {
            ($0.activeConnections, $0.activeStreams, $0.methods)
        }
        var text = "# TYPE rpc_server_active_connections gauge\nrpc_server_active_connections \(connections)\n"
        text += "# TYPE rpc_server_active_streams gauge\nrpc_server_active_streams \(streams)\n"
        text += "# TYPE rpc_server_calls_total counter\n"
        for (rawPath, statistics) in methods.sorted(by: { $0.key < $1.key }) {
            let path = Self.escapedLabelValue(rawPath)
            for (status, count) in statistics.callsByStatus.sorted(by: { $0.key < $1.key }) {
                text += "rpc_server_calls_total{method=\"\(path)\",status=\"\(status)\"} \(count)\n"
            }
        }
        text += "# TYPE rpc_server_call_duration_seconds histogram\n"
        for (rawPath, statistics) in methods.sorted(by: { $0.key < $1.key }) {
            let path = Self.escapedLabelValue(rawPath)
            var cumulative = 0
            for (index, bound) in Self.latencyBuckets.enumerated() {
                cumulative += statistics.latencyBucketCounts[index]
                text += "rpc_server_call_duration_seconds_bucket{method=\"\(path)\",le=\"\(bound)\"} \(cumulative)\n"
            }
            cumulative += statistics.latencyBucketCounts[Self.latencyBuckets.count]
            text += "rpc_server_call_duration_seconds_bucket{method=\"\(path)\",le=\"+Inf\"} \(cumulative)\n"
            text += "rpc_server_call_duration_seconds_sum{method=\"\(path)\"} \(statistics.latencySum)\n"
            text += "rpc_server_call_duration_seconds_count{method=\"\(path)\"} \(cumulative)\n"
        }
        return text
    }
}
