import Codegen
import Foundation
import Testing

@Suite("OpenAPI document")
struct OpenAPIDocumentGeneratorTests {
    private static let echoRequest: JSONValue = ["$ref": "#/components/schemas/metachat.fixture.v1.EchoRequest"]

    @Test("A path variable {text} becomes a required path parameter with the field's schema")
    func pathVariable() throws {
        let get = try #require(try APIFixture.document("echo").operation("get", "/v1/echo/{text}"))

        let text = try #require(get.parameter("text"))
        #expect(text["in"] == "path")
        #expect(text["required"] == true)
        #expect(text["schema"] == ["type": "string"])
        #expect(text["description"] == "The text to echo back.")
    }

    @Test("Nested variables keep their dotted names and lose their =pattern in the OpenAPI path")
    func nestedPathVariables() throws {
        let document = try APIFixture.document("echo")

        #expect(document["paths"]?["/v1/rooms/{target.room_id}/users/{target.user_id=*}"] == nil)
        let update = try #require(document.operation("patch", "/v1/rooms/{target.room_id}/users/{target.user_id}"))
        #expect(update.parameterNames(in: "path") == ["target.room_id", "target.user_id"])
        #expect(update.parameter("target.user_id")?["schema"] == ["type": "string"])
        #expect(update.parameter("target.user_id")?["required"] == true)
    }

    @Test("A GET without body turns every unbound single-valued field into a query parameter")
    func queryParameters() throws {
        let get = try #require(try APIFixture.document("echo").operation("get", "/v1/echo/{text}"))

        // `labels` is a map and cannot be a query parameter; `target` contributes its fields.
        #expect(
            get.parameterNames(in: "query") == [
                "repeat", "target.roomId", "target.userId", "big", "flag", "mood", "at", "tags", "limit", "ratio",
                "afterEventId",
            ]
        )
        #expect(get["requestBody"] == nil)
        let repeatSchema: JSONValue = [
            "type": "integer", "format": "int32", "minimum": -2_147_483_648, "maximum": 2_147_483_647,
        ]
        #expect(get.parameter("repeat")?["schema"] == repeatSchema)
    }

    @Test("body \"*\" without path variables is the whole request message and leaves no query parameters")
    func wholeBody() throws {
        let post = try #require(try APIFixture.document("echo").operation("post", "/v1/echo"))

        #expect(post["requestBody"]?["content"]?["application/json"]?["schema"] == Self.echoRequest)
        #expect(post["parameters"] == nil)
        #expect(post["operationId"] == "EchoService_Get_2")
    }

    @Test("body \"*\" with a path variable is the request's other fields, inline")
    func wholeBodyMinusPath() throws {
        let put = try #require(try APIFixture.document("echo").operation("put", "/v1/echo/{text}"))

        let schema = try #require(put["requestBody"]?["content"]?["application/json"]?["schema"])
        #expect(schema["type"] == "object")
        #expect(
            schema["properties"]?.keys == [
                "repeat", "target", "labels", "big", "flag", "mood", "at", "tags", "limit", "ratio", "afterEventId",
            ]
        )
        #expect(put.parameterNames(in: "query").isEmpty)
    }

    @Test("body naming a field is that field's schema; the other unbound fields stay query parameters")
    func fieldBody() throws {
        let update = try #require(
            try APIFixture.document("echo").operation("patch", "/v1/rooms/{target.room_id}/users/{target.user_id}")
        )

        let schema = try #require(update["requestBody"]?["content"]?["application/json"]?["schema"])
        #expect(schema["type"] == "object")
        #expect(schema["additionalProperties"] == ["type": "string"])
        #expect(
            update.parameterNames(in: "query") == [
                "text", "repeat", "big", "flag", "mood", "at", "tags", "limit", "ratio", "afterEventId",
            ]
        )
    }

    @Test("response_body makes the 200 answer that field's schema instead of the whole response")
    func responseBody() throws {
        let document = try APIFixture.document("echo")
        let put = try #require(document.operation("put", "/v1/echo/{text}"))
        let get = try #require(document.operation("get", "/v1/echo/{text}"))

        #expect(
            put["responses"]?["200"]?["content"]?["application/json"]?["schema"]
                == ["$ref": "#/components/schemas/metachat.fixture.v1.Summary"]
        )
        #expect(
            get["responses"]?["200"]?["content"]?["application/json"]?["schema"]
                == ["$ref": "#/components/schemas/metachat.fixture.v1.EchoResponse"]
        )
    }

    @Test("A server-streaming route answers Server-Sent Events or NDJSON, not a JSON document")
    func streamingContent() throws {
        let expand = try #require(try APIFixture.document("echo").operation("get", "/v1/echo/{text}/expand"))

        let content = try #require(expand["responses"]?["200"]?["content"])
        #expect(content.keys == ["text/event-stream", "application/x-ndjson"])
        #expect(content["text/event-stream"]?["schema"]?["type"] == "string")
        guard case .string(let description) = content["text/event-stream"]?["schema"]?["description"] else {
            Issue.record("no description of the event stream")
            return
        }
        #expect(description.contains("`data:`"))
        #expect(description.contains("metachat.fixture.v1.EchoResponse"))
    }

    @Test("A HEAD route documents no response body")
    func headHasNoContent() throws {
        let head = try #require(try APIFixture.document("echo").operation("head", "/v1/echo/{text}"))

        #expect(head["responses"]?["200"]?["content"] == nil)
        #expect(head["operationId"] == "EchoService_Probe")
    }

    @Test("Every operation has tags, an operationId, a summary from the RPC comment and the shared error response")
    func operationBasics() throws {
        let document = try APIFixture.document("echo")
        let api = try APIFixture.api("echo")

        for route in api.routes {
            let operation = try #require(document.operation(route.binding.httpMethod.lowercased(), route.openAPIPath))
            #expect(operation["tags"] == ["EchoService"])
            #expect(operation["operationId"] == .string(route.operationID))
            #expect(operation["responses"]?["default"] == ["$ref": "#/components/responses/Error"])
        }
        #expect(document.operation("get", "/v1/echo/{text}")?["summary"] == "Echoes one message.")
        #expect(document.operation("delete", "/v1/echo/{text}")?["operationId"] == "EchoService_Delete")
    }

    @Test("The document header: 3.1.0, title, version, servers, optional auth and the three schemes")
    func documentHeader() throws {
        let document = try OpenAPIDocumentGenerator(
            api: try APIFixture.api("echo"),
            rawRoutes: .none,
            version: "9.8.7"
        ).document()

        #expect(document["openapi"] == "3.1.0")
        #expect(document["info"]?["title"] == "MetaChat API")
        #expect(document["info"]?["version"] == "9.8.7")
        #expect(document["servers"] == [["url": "/"]])
        #expect(document["security"] == [[:], ["adminKey": []], ["apiKey": []], ["bearer": []]])
        let schemes = try #require(document["components"]?["securitySchemes"])
        #expect(schemes["adminKey"]?["in"] == "header")
        #expect(schemes["adminKey"]?["name"] == "x-admin-key")
        #expect(schemes["apiKey"]?["name"] == "x-api-key")
        #expect(schemes["bearer"]?["scheme"] == "bearer")
    }

    @Test("The shared Error schema is the REST error shape")
    func errorSchema() throws {
        let schemas = try #require(try APIFixture.document("echo")["components"]?["schemas"])

        #expect(schemas.keys.first == "Error")
        let error = try #require(schemas["Error"]?["properties"]?["error"])
        #expect(error["properties"]?.keys == ["code", "status", "message", "details"])
        #expect(error["properties"]?["code"]?["type"] == "integer")
        #expect(error["properties"]?["details"]?["type"] == "array")
    }

    @Test("The echo document renders as JSON that parses, with one operation per route and no dangling $ref")
    func echoDocumentParses() throws {
        let api = try APIFixture.api("echo")
        let document = try APIFixture.document("echo")

        let parsed = try JSONSerialization.jsonObject(with: Data(document.prettyText.utf8)) as? [String: Any]
        let paths = try #require(parsed?["paths"] as? [String: [String: Any]])
        for route in api.routes {
            #expect(paths[route.openAPIPath]?[route.binding.httpMethod.lowercased()] != nil)
        }
        #expect(paths.values.map(\.count).reduce(0, +) == api.routes.count)
        // Collect and Chat have no HTTP binding.
        #expect(api.routes.count == 7)
        let components = Set(document["components"]?["schemas"]?.keys ?? [])
        for reference in document.references where reference.hasPrefix("#/components/schemas/") {
            #expect(components.contains(String(reference.dropFirst("#/components/schemas/".count))))
        }
    }

    @Test("Rendering the echo document reproduces the committed golden file byte for byte")
    func echoGolden() throws {
        let generated = try MetaChatGenerator().generate(
            files: [APIFixture.file("echo")],
            options: CodegenOptions(parameter: "Output=OpenAPIJSON")
        )

        let golden = try String(contentsOf: Self.fixture("echo.openapi.json"), encoding: .utf8)
        #expect(generated.map(\.name) == ["openapi.json"])
        #expect(generated.first?.content == golden)
    }

    @Test("A hand-written route on an annotated path adds its 503 answer; a new one gets its own operation")
    func rawRoutes() throws {
        let raw = RawRouteSet(routes: [
            RawRoute(
                httpMethod: "GET",
                path: "/v1/echo/{text}",
                operationID: "Raw_Echo",
                summary: "Echo by hand.",
                answer: .message("metachat.fixture.v1.EchoResponse"),
                unavailableWhen: "when draining"
            ),
            RawRoute(
                httpMethod: "GET",
                path: "/metrics",
                operationID: "Raw_Metrics",
                summary: "Metrics.",
                answer: .text(contentType: "text/plain; version=0.0.4")
            ),
        ])

        let document = try APIFixture.document("echo", rawRoutes: raw)

        let get = try #require(document.operation("get", "/v1/echo/{text}"))
        #expect(get["operationId"] == "EchoService_Get")
        #expect(get["responses"]?.keys == ["200", "503", "default"])
        #expect(
            get["responses"]?["503"]?["content"]?["application/json"]?["schema"]
                == ["$ref": "#/components/schemas/metachat.fixture.v1.EchoResponse"]
        )
        let metrics = try #require(document.operation("get", "/metrics"))
        #expect(metrics["tags"] == ["Server"])
        #expect(metrics["responses"]?["200"]?["content"]?.keys == ["text/plain"])
        #expect(document["tags"]?.elements.last?["name"] == "Server")
    }

    @Test("The MetaChat hand-written routes need the MetaChat messages and say so when they are missing")
    func rawRoutesNeedTheirMessages() throws {
        let error = #expect(throws: CodegenError.self) {
            try APIFixture.document("echo", rawRoutes: .metaChat)
        }
        #expect(error?.code == .invalidOption)
        #expect(error?.message.contains("metachat.v1.HealthReport") == true)
    }

    static func fixture(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
    }
}
