internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer

/// `GET /api/openapi.json`: the OpenAPI 3.1 document generated from the `google.api.http`
/// annotations, narrowed to the operations this server runs handlers for.
enum OpenAPIRoute {
    /// The route's path.
    static let path = "/api/openapi.json"

    /// Adds the route.
    ///
    /// - Parameters:
    ///   - table: The raw route table.
    ///   - routes: Every generated REST route.
    ///   - router: The handlers the server runs.
    /// - Throws: When the generated document or a route template is malformed.
    static func register(in table: inout RawRouteTable, routes: [RESTRoute], router: RPCRouter) throws {
        var served = table
        served.add("GET", Self.path) { _ in HTTPResponse(status: 204) }
        let document = try ServedOpenAPIDocument.narrow(
            MetaChatOpenAPI.json,
            routes: routes,
            router: router,
            rawRoutes: served
        )
        let response = HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: document)
        table.add("GET", Self.path) { _ in response }
    }
}
