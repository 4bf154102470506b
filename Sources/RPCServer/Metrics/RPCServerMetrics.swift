/// Receives the server's measurements: connections, streams and finished calls.
///
/// Called on event loops, so implementations must be cheap and must not block. The server
/// uses ``NoMetrics`` unless given another; `serve` gives it the Prometheus-backed one of the
/// Monitoring module, which the REST face reports to as well (docs/metrics.md).
package protocol RPCServerMetrics: Sendable {
    /// A connection was accepted.
    func connectionOpened()
    /// A connection closed.
    func connectionClosed()
    /// An HTTP/2 stream opened.
    func streamOpened()
    /// An HTTP/2 stream closed.
    func streamClosed()
    /// A call ended (gRPC, or REST through the gateway).
    ///
    /// - Parameters:
    ///   - path: The method's path, e.g. `/metachat.v1.TenantService/GetTenant`, or
    ///     ``RPCServerMetricsLabel/unknownMethod`` for every path no method serves (a client
    ///     chooses those, so they never become labels of their own).
    ///   - code: The status the call ended with.
    ///   - transport: The face the call came in on.
    ///   - duration: From the request headers to the status.
    func callFinished(path: String, code: RPCError.Code, transport: CallTransport, duration: Duration)
}

/// Label values the server reports with.
package enum RPCServerMetricsLabel {
    /// The one method label of calls to paths no method serves.
    package static let unknownMethod = "unknown"
}

/// Measures nothing.
package struct NoMetrics: RPCServerMetrics {
    /// Creates the no-op sink.
    package init() {}
    package func connectionOpened() {}
    package func connectionClosed() {}
    package func streamOpened() {}
    package func streamClosed() {}
    package func callFinished(path: String, code: RPCError.Code, transport: CallTransport, duration: Duration) {}
}
