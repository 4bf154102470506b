/// The hand-written routes a server adds beside the REST bridge's generated ones.
///
/// A raw route whose method and path an annotation also declares (the health routes) keeps
/// the annotated operation; the raw entry only adds what the hand-written handler does
/// differently, such as answering 503 with the normal body.
package struct RawRouteSet: Sendable, Hashable {
    /// The routes, in the order the documents list them.
    package var routes: [RawRoute]

    /// Creates a set.
    ///
    /// - Parameter routes: The routes.
    package init(routes: [RawRoute]) {
        self.routes = routes
    }

    /// No hand-written routes.
    package static let none = RawRouteSet(routes: [])

    /// The routes `metachat serve` registers by hand (`HealthRoutes`, `/metrics`, the OpenAPI
    /// document). Keep in step with `Sources/MetaChat`.
    package static let metaChat = RawRouteSet(routes: [
        RawRoute(
            httpMethod: "GET",
            path: "/api/health",
            operationID: "Server_GetHealth",
            summary: "Full health report of the process and its dependencies.",
            answer: .message("metachat.v1.HealthReport"),
            unavailableWhen: "when the status is `HEALTH_STATUS_UNHEALTHY`"
        ),
        RawRoute(
            httpMethod: "GET",
            path: "/health",
            operationID: "Server_GetHealthAlias",
            summary: "The same report as `GET /api/health`, at the path many probes expect.",
            answer: .message("metachat.v1.HealthReport"),
            unavailableWhen: "when the status is `HEALTH_STATUS_UNHEALTHY`"
        ),
        RawRoute(
            httpMethod: "GET",
            path: "/api/health/live",
            operationID: "Server_GetLiveness",
            summary: "Liveness: the process runs and its event loops answer.",
            answer: .message("metachat.v1.LivenessResponse")
        ),
        RawRoute(
            httpMethod: "GET",
            path: "/api/health/ready",
            operationID: "Server_GetReadiness",
            summary: "Readiness: PostgreSQL answers and the server is not draining.",
            answer: .message("metachat.v1.ReadinessResponse"),
            unavailableWhen: "when not ready"
        ),
        RawRoute(
            httpMethod: "GET",
            path: "/metrics",
            operationID: "Server_GetMetrics",
            summary:
                "RPC server metrics in the Prometheus text exposition format, for scrapers that present "
                + "`METRICS_TOKEN` (403 when it is not set, 401 without it).",
            answer: .text(contentType: "text/plain; version=0.0.4"),
            bearerTokenVariable: "METRICS_TOKEN"
        ),
        RawRoute(
            httpMethod: "GET",
            path: "/api/openapi.json",
            operationID: "Server_GetOpenAPIDocument",
            summary: "This API's OpenAPI 3.1 document.",
            answer: .jsonObject
        ),
    ])
}
