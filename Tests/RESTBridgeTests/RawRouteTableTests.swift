import Logging
import RESTBridge
import RPCServer
import Testing

@Suite("Raw route table")
struct RawRouteTableTests {
    private static func routes() -> RawRouteTable {
        var table = RawRouteTable()
        table.add("GET", "/api/health") { _ in .json(status: 200, #"{"ok":true}"#) }
        table.add("post", "/api/upload", maxBodyBytes: 10) { request in
            .json(status: 201, #"{"bytes":\#(request.body.count)}"#)
        }
        return table
    }

    /// The raw routes served by a gateway with no generated routes.
    private static func table() throws -> RESTGateway {
        try RESTGateway(
            routes: [],
            dispatcher: RPCDispatcher(router: RPCRouter()),
            schema: SchemaRegistry(descriptorSets: []),
            rawRoutes: Self.routes(),
            logger: Logger(label: "test")
        )
    }

    private static func request(_ method: String, _ target: String, headers: [(name: String, value: String)] = [])
        -> HTTPRequest
    {
        HTTPRequest(method: method, target: target, headers: headers, body: [1, 2, 3], peer: "test")
    }

    @Test("A route is matched by method and path, ignoring the query string")
    func matchesRoute() async throws {
        let response = try await Self.table().respond(to: Self.request("POST", "/api/upload?x=1"))

        #expect(response.status == 201)
        #expect(response.body == Array(#"{"bytes":3}"#.utf8))
    }

    @Test("An unknown path answers 404 in the one error shape")
    func unknownPath() async throws {
        let response = try await Self.table().respond(to: Self.request("GET", "/api/nothing"))

        #expect(response.status == 404)
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"{"error":{"code":404,"status":"NOT_FOUND","message":"No route matches /api/nothing.","details":[]}}"#
        )
    }

    @Test("A known path with another method answers 405 with Allow")
    func wrongMethod() async throws {
        let response = try await Self.table().respond(to: Self.request("DELETE", "/api/health"))

        #expect(response.status == 405)
        #expect(response.headers.contains { $0.name == "allow" && $0.value == "GET, HEAD" })
        #expect(String(decoding: response.body, as: UTF8.self).contains(#""code":405,"status":"METHOD_NOT_ALLOWED""#))
    }

    @Test("HEAD falls back to the GET route")
    func headFallsBackToGet() async throws {
        let response = try await Self.table().respond(to: Self.request("HEAD", "/api/health"))

        #expect(response.status == 200)
    }

    @Test("Every response carries x-request-id: echoed when sane, generated otherwise")
    func requestIDs() async throws {
        let table = try Self.table()

        let echoed = await table.respond(to: Self.request("GET", "/api/health", headers: [("X-Request-Id", "abc-123")]))
        let generated = await table.respond(to: Self.request("GET", "/nothing"))
        let replaced = await table.respond(
            to: Self.request("GET", "/api/health", headers: [("x-request-id", "has spaces\r\ninjected")])
        )

        #expect(echoed.headers.first { $0.name == "x-request-id" }?.value == "abc-123")
        let fresh = try #require(generated.headers.first { $0.name == "x-request-id" }?.value)
        #expect(fresh.count == 32 && fresh.allSatisfy(\.isHexDigit))
        let safe = try #require(replaced.headers.first { $0.name == "x-request-id" }?.value)
        #expect(safe.count == 32 && !safe.contains(" "))
    }

    @Test("Routes list themselves as METHOD path")
    func describesRoutes() {
        #expect(Self.routes().descriptions == ["GET /api/health", "POST /api/upload"])
    }

    @Test("A route's own body limit is what the transport enforces; others get the bridge's")
    func perRouteBodyLimit() throws {
        let gateway = try Self.table()

        #expect(gateway.maxBodyBytes(method: "POST", target: "/api/upload?x=1") == 10)
        #expect(gateway.maxBodyBytes(method: "POST", target: "/api/other") == 5 * 1024 * 1024)
    }
}
