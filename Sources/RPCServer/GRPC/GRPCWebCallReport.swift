/// What a gRPC-Web call reports to the server's metrics when it ends: its method, its status and
/// its time since the request arrived (the request body is read by then; gRPC calls count from
/// their headers).
struct GRPCWebCallReport: Sendable {
    let metrics: any RPCServerMetrics
    /// The method's path, or ``RPCServerMetricsLabel/unknownMethod``.
    let path: String
    let started: ContinuousClock.Instant

    /// Reports the call's end.
    ///
    /// - Parameter error: How it failed; `nil` for `OK`.
    func finished(_ error: RPCError?) {
        self.metrics.callFinished(
            path: self.path, code: error?.code ?? .ok, transport: .grpcWeb, duration: ContinuousClock.now - self.started
        )
    }
}
