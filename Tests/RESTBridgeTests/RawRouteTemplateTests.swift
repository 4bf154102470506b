import Logging
import RESTBridge
import RPCServer
import Testing

@Suite("Raw route templates")
struct RawRouteTemplateTests {
    /// A gateway whose raw routes answer the values their templates bound.
    private static func gateway() throws -> RESTGateway {
        var table = RawRouteTable()
        table.add("GET", "/api/things/fixed/callback") { _ in .json(status: 200, #"{"exact":true}"#) }
        table.add("GET", template: "/api/things/{id}/callback") { _, values in
            .json(status: 200, #"{"values":"\#(values.joined(separator: ","))"}"#)
        }
        table.add("POST", template: "/api/things/{id}/callback", maxBodyBytes: 7) { request, values in
            .json(status: 202, #"{"id":"\#(values[0])","bytes":\#(request.body.count)}"#)
        }
        table.add("GET", template: "/api/pairs/{a}/{b}") { _, values in
            .json(status: 200, #"{"values":"\#(values.joined(separator: ","))"}"#)
        }
        return try RESTGateway(
            routes: [], dispatcher: RPCDispatcher(router: RPCRouter()), schema: SchemaRegistry(descriptorSets: []),
            rawRoutes: table, logger: Logger(label: "test"))
    }

    private static func call(_ method: String, _ target: String) async throws -> HTTPResponse {
        try await Self.gateway().respond(
            to: HTTPRequest(method: method, target: target, headers: [], body: [1, 2, 3], peer: "test"))
    }

    @Test("A template binds each {name} to one segment, in order, ignoring the query")
    func binds() async throws {
        let one = try await Self.call("GET", "/api/things/abc-123/callback?hub.mode=subscribe")
        #expect(one.status == 200 && one.body == Array(#"{"values":"abc-123"}"#.utf8))
        let two = try await Self.call("GET", "/api/pairs/x/y")
        #expect(two.body == Array(#"{"values":"x,y"}"#.utf8))
        let posted = try await Self.call("POST", "/api/things/q/callback")
        #expect(posted.status == 202 && posted.body == Array(#"{"id":"q","bytes":3}"#.utf8))
    }

    @Test("An exact path wins over a template")
    func exactFirst() async throws {
        let response = try await Self.call("GET", "/api/things/fixed/callback")
        #expect(response.body == Array(#"{"exact":true}"#.utf8))
    }

    @Test(
        "Empty segments, extra or missing segments and other literals do not match",
        arguments: [
            "/api/things//callback", "/api/things/a/b/callback", "/api/things/callback", "/api/thing/a/callback",
            "/api/pairs/x/", "/api/pairs/x",
        ])
    func mismatches(_ path: String) async throws {
        #expect(try await Self.call("GET", path).status == 404)
    }

    @Test("Another method on a template's path is 405 naming the allowed ones")
    func methodNotAllowed() async throws {
        let response = try await Self.call("DELETE", "/api/things/a/callback")
        #expect(response.status == 405)
        #expect(response.headers.contains { $0.name == "allow" && $0.value == "GET, HEAD, POST" })
    }

    @Test("A template's own body limit applies to its paths; templates list themselves")
    func limitsAndDescriptions() throws {
        let gateway = try Self.gateway()
        #expect(gateway.maxBodyBytes(method: "POST", target: "/api/things/z/callback?x") == 7)
        #expect(gateway.maxBodyBytes(method: "GET", target: "/api/pairs/a/b") == 5 * 1024 * 1024)
        var table = RawRouteTable()
        table.add("GET", template: "/api/pairs/{a}/{b}") { _, _ in .json(status: 200, "{}") }
        #expect(table.descriptions == ["GET /api/pairs/{a}/{b}"])
    }
}
