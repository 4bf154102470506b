import EchoFixture
import RESTBridge
import RPCServer
import Testing

@Suite("The published OpenAPI document lists only served operations")
struct ServedOpenAPIDocumentTests {
    private static let document = """
        {"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{
          "/v1/echo/{text}":{"get":{"operationId":"Get"},"put":{"operationId":"Replace"},"parameters":[]},
          "/v1/rooms/{target.room_id}/users/{target.user_id}":{"patch":{"operationId":"Update"}},
          "/v1/other":{"get":{"operationId":"Other"}},
          "/metrics":{"get":{"operationId":"Metrics"}}},
         "components":{"schemas":{}}}
        """

    @Test("Operations without a handler, and paths left empty, are removed; everything else stays")
    func narrows() throws {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        var onlyGet = RPCRouter()
        if let get = router.handler(forPath: Metachat_Fixture_V1_EchoService.Method.get.path[...]) {
            onlyGet.register(get)
        }

        let full = try JSONParser.parse(
            ServedOpenAPIDocument.narrow(
                Self.document, routes: Metachat_Fixture_V1_EchoService.restRoutes, router: router)
        )
        var raw = RawRouteTable()
        raw.add("GET", "/metrics") { _ in HTTPResponse(status: 200) }
        let narrowed = try JSONParser.parse(
            ServedOpenAPIDocument.narrow(
                Self.document, routes: Metachat_Fixture_V1_EchoService.restRoutes, router: onlyGet, rawRoutes: raw)
        )

        #expect(full["paths"]?["/v1/echo/{text}"]?["put"] != nil)
        #expect(full["paths"]?["/v1/rooms/{target.room_id}/users/{target.user_id}"]?["patch"] != nil)
        #expect(full["paths"]?["/v1/other"] == nil)
        #expect(narrowed["paths"]?["/v1/echo/{text}"]?["get"] != nil)
        #expect(narrowed["paths"]?["/v1/echo/{text}"]?["put"] == nil)
        #expect(narrowed["paths"]?["/v1/echo/{text}"]?["parameters"] == .array([]))
        #expect(narrowed["paths"]?["/v1/rooms/{target.room_id}/users/{target.user_id}"] == nil)
        #expect(narrowed["info"]?["title"] == .string("t"))
        #expect(narrowed["paths"]?["/metrics"]?["get"] != nil)
        #expect(full["paths"]?["/metrics"] == nil)
        #expect(narrowed["components"] != nil)
    }
}
