internal import RESTBridge
internal import RPCServer
internal import Storage

/// `GET /metrics`: the Prometheus text, for scrapers that present `METRICS_TOKEN` as a bearer
/// token (`Authorization: Bearer <token>`, compared in constant time).
///
/// Metrics name methods, statuses and load: not public. Without `METRICS_TOKEN` the route
/// answers 403 saying how to enable it; with it, a missing or wrong token gets 401.
enum MetricsRoute {
    /// Adds the route.
    ///
    /// - Parameters:
    ///   - table: The raw route table.
    ///   - metrics: The server's metrics.
    ///   - token: `METRICS_TOKEN`; `nil` serves the metrics to nobody.
    ///   - gauges: More metrics in the text format, read at each scrape (the pools' use).
    static func register(
        in table: inout RawRouteTable,
        metrics: InMemoryRPCMetrics,
        token: String?,
        gauges: @escaping @Sendable () -> String = { "" }
    ) {
        table.add("GET", "/metrics") { request in
            guard let token else {
                return ErrorBody.response(
                    for: RPCError(
                        code: .permissionDenied,
                        message:
                            "/metrics is disabled: set METRICS_TOKEN and send it as 'Authorization: Bearer <token>'."
                    )
                )
            }
            guard let presented = Self.bearerToken(request.header("authorization")),
                Secrets.constantTimeEquals(presented, token)
            else {
                var response = ErrorBody.response(
                    for: RPCError(
                        code: .unauthenticated,
                        message: "/metrics needs the METRICS_TOKEN as 'Authorization: Bearer <token>'."
                    )
                )
                response.headers.append(("www-authenticate", #"Bearer realm="metrics""#))
                return response
            }
            return HTTPResponse(
                status: 200,
                headers: [("content-type", "text/plain; version=0.0.4")],
                body: Array((metrics.prometheusText() + gauges()).utf8)
            )
        }
    }

    /// The token of `Bearer <token>` (scheme case-insensitive), or `nil`.
    private static func bearerToken(_ value: String?) -> String? {
        guard let value, value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
        return String(value.dropFirst(7))
    }
}
