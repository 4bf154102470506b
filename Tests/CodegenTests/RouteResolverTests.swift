import Codegen
import Testing

@Suite("Route resolver")
struct RouteResolverTests {
    private static func route(_ fixture: String, _ method: String, binding: Int = 0) throws -> RouteModel {
        let routes = try APIFixture.api(fixture).routes.filter { $0.method.protoName == method }
        return try #require(routes.count > binding ? routes[binding] : nil)
    }

    @Test(
        "Path templates lose their =pattern parts and keep everything else",
        arguments: [
            ("/v1/echo/{text}", "/v1/echo/{text}"),
            (
                "/v1/rooms/{target.room_id}/users/{target.user_id=*}",
                "/v1/rooms/{target.room_id}/users/{target.user_id}"
            ),
            ("/v1/{name=projects/*/docs/*}:publish", "/v1/{name}:publish"),
            ("/v1/a=b", "/v1/a=b"),
        ]
    )
    func openAPIPaths(template: String, expected: String) {
        #expect(RouteResolver.openAPIPath(template) == expected)
    }

    @Test("Query parameters: scalars, enums, lists of them and string-valued well-known types, in field order")
    func queryParameterKinds() throws {
        let find = try Self.route("types", "Find")

        let names = find.queryParameters.map(\.name)
        #expect(
            names == [
                "aDouble", "aFloat", "anInt32", "aSint32", "aSfixed32", "aUint32", "aFixed32", "anInt64", "aSint64",
                "aSfixed64", "aUint64", "aFixed64", "aBool", "someBytes", "color", "colors", "tags", "createdAt",
                "timeout", "mask", "nickname", "big", "flag", "ratio", "secret", "root.name", "filter.status",
                "filter.inner.label", "filter.node.name", "byName", "byNumber", "customName",
            ]
        )
        // Bound by the path, maps, Struct/Value/ListValue/Empty/Any/NullValue and lists of messages are not.
        for excluded in ["aString", "counters", "nodesById", "attributes", "anything", "list", "nothing", "extension"] {
            #expect(!names.contains(excluded))
        }
    }

    @Test("Nested query parameters stop at three names and never re-enter a message on the path")
    func queryParameterDepthAndCycles() throws {
        let names = try Self.route("types", "Find").queryParameters.map(\.name)

        #expect(names.contains("filter.inner.label"))
        #expect(!names.contains("filter.inner.deeper.leaf"))
        #expect(names.contains("root.name"))
        #expect(!names.contains { $0.hasPrefix("root.parent") })
        #expect(!names.contains { $0.hasPrefix("filter.node.parent") })
        #expect(names.allSatisfy { $0.split(separator: ".").count <= RouteResolver.maximumQueryDepth })
    }

    @Test("Path parameters resolve dotted variables to the leaf field")
    func pathParameters() throws {
        let update = try Self.route("echo", "Update")

        #expect(update.pathParameters.map(\.name) == ["target.room_id", "target.user_id"])
        #expect(update.pathParameters.map(\.field.protoName) == ["room_id", "user_id"])
        #expect(update.openAPIPath == "/v1/rooms/{target.room_id}/users/{target.user_id}")
    }

    @Test("Bodies: none, the whole request minus path fields, or one named field")
    func bodies() throws {
        #expect(try Self.route("echo", "Get").body == .none)
        guard case .request(let message, let fields) = try Self.route("echo", "Replace").body else {
            Issue.record("Replace's body is not the request")
            return
        }
        #expect(message == "metachat.fixture.v1.EchoRequest")
        #expect(
            fields.map(\.protoName) == [
                "repeat", "target", "labels", "big", "flag", "mood", "at", "tags", "limit", "ratio", "after_event_id",
            ]
        )
        guard case .field(let field) = try Self.route("echo", "Update").body else {
            Issue.record("Update's body is not a field")
            return
        }
        #expect(field.protoName == "labels")
        #expect(field.cardinality == .map(key: .string))
        #expect(try Self.route("echo", "Get", binding: 1).queryParameters.isEmpty)
    }

    @Test("response_body selects a field of the response; additional bindings get numbered operation IDs")
    func responsesAndOperationIDs() throws {
        guard case .field(let field, let message) = try Self.route("echo", "Replace").response else {
            Issue.record("Replace's response is not a field")
            return
        }
        #expect(field.protoName == "summary")
        #expect(message == "metachat.fixture.v1.EchoResponse")
        #expect(try Self.route("echo", "Get").response == .message("metachat.fixture.v1.EchoResponse"))
        #expect(try Self.route("echo", "Get").operationID == "EchoService_Get")
        #expect(try Self.route("echo", "Get", binding: 1).operationID == "EchoService_Get_2")
        #expect(try Self.route("echo", "Expand").isStreaming)
        #expect(try !Self.route("echo", "Get").isStreaming)
    }

    @Test("Auth schemes come from the headers a service's documentation names")
    func authSchemes() {
        #expect(AuthScheme.mentioned(in: ["Auth: admin key (`x-admin-key`)."]) == [.adminKey])
        #expect(
            AuthScheme.mentioned(in: ["Auth: tenant key (`x-api-key` or `Authorization:", "Bearer`)."])
                == [.apiKey, .bearer]
        )
        #expect(AuthScheme.mentioned(in: ["No authentication."]).isEmpty)
    }
}
