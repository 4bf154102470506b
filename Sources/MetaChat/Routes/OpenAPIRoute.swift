internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer

/// `GET /api/openapi.json`: the OpenAPI 3.1 document of every REST route, generated from the
/// `google.api.http` annotations together with the route tables.
enum OpenAPIRoute {
    /// The route's path.
    static let path = "/api/openapi.json"

    /// Adds the route.
    ///
    /// - Parameter table: The raw route table.
    static func register(in table: inout RawRouteTable) {
        let response = HTTPResponse.json(status: 200, MetaChatOpenAPI.json)
        table.add("GET", Self.path) { _ in response }
    }
}
