/// Receives the server's measurements: connections, streams and finished calls.
///
/// Called on event loops, so implementations must be cheap and must not block. The server
/// uses ``NoMetrics`` unless given another; ``InMemoryRPCMetrics`` keeps counters and a latency
/// histogram that a `/metrics` route can render.
public protocol RPCServerMetrics: Sendable {
    /// A connection was accepted.
    func connectionOpened()
    /// A connection closed.
    func connectionClosed()
    /// An HTTP/2 stream opened.
    func streamOpened()
    /// An HTTP/2 stream closed.
    func streamClosed()
    /// A gRPC call ended.
    ///
    /// - Parameters:
    ///   - path: The method's path, e.g. `/metachat.v1.TenantService/GetTenant`.
    ///   - code: The status the call ended with.
    ///   - duration: From the request headers to the status.
    func callFinished(path: String, code: RPCError.Code, duration: Duration)
}

/// Measures nothing.
public struct NoMetrics: RPCServerMetrics {
    /// Creates the no-op sink.
    public init() {}
    public func connectionOpened() {}
    public func connectionClosed() {}
    public func streamOpened() {}
    public func streamClosed() {}
    public func callFinished(path: String, code: RPCError.Code, duration: Duration) {}
}
