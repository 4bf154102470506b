import EchoFixture
import RESTBridge
import RPCServer
import Testing

@Suite("REST binding: path, query and body into the request; JSON out")
struct RESTBindingTests {
    @Test("A path variable fills its field and is percent-decoded")
    func pathVariable() async throws {
        let response = try await EchoGateway().send("GET", "/v1/echo/hello%20w%2Fx")

        #expect(response.status == 200)
        #expect(try response.json()["text"] == .string("hello w/x"))
        #expect(response.header("content-type") == "application/json")
    }

    @Test("Nested path variables and a named body field fill nested fields and the map")
    func nestedPathAndNamedBody() async throws {
        let response = try await EchoGateway().send("PATCH", "/v1/rooms/r1/users/u1", json: #"{"k":"v"}"#)

        #expect(response.status == 200)
        #expect(
            response.text
                == #"{"labels":{"k":"v"},"request":{"target":{"roomId":"r1","userId":"u1"},"labels":{"k":"v"}}}"#
        )
    }

    @Test("Query parameters fill scalars, repeated fields, nested fields, enums, wrappers and timestamps")
    func queryParameters() async throws {
        let target =
            "/v1/echo/q?repeat=2&tags=a&tags=b&target.roomId=r&target.user_id=u&flag=true&mood=MOOD_SAD"
            + "&limit=7&ratio=0.5&big=9007199254740993&at=2026-01-31T12:00:00Z"
        let response = try await EchoGateway().send("GET", target)

        #expect(response.status == 200)
        let request = try #require(try response.json()["request"])
        #expect(request["repeat"] == .number("2"))
        #expect(request["tags"] == .array([.string("a"), .string("b")]))
        #expect(request["target"] == .object([("roomId", .string("r")), ("userId", .string("u"))]))
        #expect(request["flag"] == .bool(true))
        #expect(request["mood"] == .string("MOOD_SAD"))
        #expect(request["limit"] == .number("7"))
        #expect(request["ratio"] == .number("0.5"))
        #expect(request["big"] == .string("9007199254740993"))
        #expect(request["at"] == .string("2026-01-31T12:00:00Z"))
    }

    @Test("A body accepts proto and JSON spellings; 64-bit integers keep every digit and come back as strings")
    func bodySpellingsAndInt64() async throws {
        let gateway = try EchoGateway()

        let camel = await gateway.send(
            "POST", "/v1/echo", json: #"{"text":"a","afterEventId":"3","big":9007199254740993}"#)
        let proto = await gateway.send(
            "POST", "/v1/echo", json: #"{"text":"a","after_event_id":"3","big":"-9007199254740993"}"#)

        #expect(camel.status == 200 && proto.status == 200)
        #expect(try camel.json()["request"]?["afterEventId"] == .string("3"))
        #expect(try camel.json()["request"]?["big"] == .string("9007199254740993"))
        #expect(try proto.json()["request"]?["afterEventId"] == .string("3"))
        #expect(try proto.json()["request"]?["big"] == .string("-9007199254740993"))
    }

    @Test("Path variables win over the same field in a body")
    func pathWinsOverBody() async throws {
        let response = try await EchoGateway().send(
            "PUT", "/v1/echo/from-path", json: #"{"text":"from-body","repeat":4}"#)

        #expect(response.status == 200)
        // `response_body: "summary"` answers only that field; unset, it is an empty object.
        #expect(response.text == "{}")
    }

    @Test("DELETE and the custom HEAD method reach their RPCs; HEAD metadata comes from Grpc-Metadata-*")
    func deleteAndCustomHead() async throws {
        let gateway = try EchoGateway()

        let deleted = await gateway.send("DELETE", "/v1/echo/gone")
        let probed = await gateway.send("HEAD", "/v1/echo/x", headers: [("Grpc-Metadata-X-Probe", "from-header")])

        #expect(try deleted.json()["text"] == .string("gone"))
        #expect(try probed.json()["text"] == .string("from-header"))
    }

    @Test("Response metadata set by the handler becomes response headers")
    func responseMetadataHeaders() async throws {
        let response = try await EchoGateway().send(
            "GET", "/v1/echo/x", headers: [("grpc-metadata-echo-color", "blue")])

        #expect(response.header("echo-color") == "blue")
    }

    @Test("HEAD on a GET route answers like GET")
    func headFallsBackToGet() async throws {
        let response = try await EchoGateway().send("HEAD", "/v1/echo/x/expand?repeat=1")

        #expect(response.status == 200)
    }
}

@Suite("REST rendering from the handler's message")
struct RESTTypedRenderingTests {
    @Test("Generated unary methods offer their response message unencoded, and REST answers match the byte path")
    func generatedUnaryMethodsOfferTheirMessage() async throws {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        let get = try #require(router.handler(forPath: "/metachat.fixture.v1.EchoService/Get"))
        #expect(get.unaryMessageBody != nil)
        #expect(get.unaryBody != nil)
        let streaming = try #require(router.handler(forPath: "/metachat.fixture.v1.EchoService/Expand"))
        #expect(streaming.unaryMessageBody == nil)

        let echo = try EchoGateway()
        let response = await echo.send("GET", "/v1/echo/typed?big=12&flag=true")
        #expect(response.status == 200)
        #expect(response.text == #"{"text":"typed","request":{"text":"typed","big":"12","flag":true}}"#)
    }
}
