internal import Prometheus
internal import RESTBridge
internal import RPCServer
internal import Storage

/// `GET /metrics`: the Prometheus text of the server's registry (docs/metrics.md), for scrapers that present `METRICS_TOKEN` as a bearer
/// token (`Authorization: Bearer <token>`, compared in constant time).
///
/// Metrics name methods, statuses and load: not public. Without `METRICS_TOKEN` the route
/// answers 403 saying how to enable it; with it, a missing or wrong token gets 401.
enum MetricsRoute {
    /// Adds the route.
    ///
    /// - Parameters:
    ///   - table: The raw route table.
    ///   - registry: The server's metrics.
    ///   - token: `METRICS_TOKEN`; `nil` serves the metrics to nobody.
    ///   - refresh: Runs before each scrape is rendered (gauges read at scrape time) and returns
    ///     more metrics in the text format (the pools' use).
    static func register(
        in table: inout RawRouteTable,
        registry: PrometheusCollectorRegistry,
        token: String?,
        refresh: @escaping @Sendable () async -> String = { "" }
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
            let more = await refresh()
            var body = registry.emitToBuffer()
            body.append(contentsOf: more.utf8)
            return HTTPResponse(
                status: 200,
                headers: [("content-type", "text/plain; version=0.0.4")],
                body: body
            )
        }
    }

    /// The token of `Bearer <token>` (scheme case-insensitive), or `nil`.
    private static func bearerToken(_ value: String?) -> String? {
        guard let value, value.count > 7, value.prefix(7).lowercased() == "bearer " else { return nil }
        return String(value.dropFirst(7))
    }
}
