import Codegen
import Foundation
import Testing

@Suite("OpenAPI schemas")
struct OpenAPISchemaGeneratorTests {
    /// The `properties` of the fixture's `Everything` message.
    private static func everything() throws -> JSONValue {
        let schemas = try #require(try APIFixture.document("types")["components"]?["schemas"])
        return try #require(schemas["metachat.fixture.types.v1.Everything"]?["properties"])
    }

    /// Each scalar property of `Everything` and its expected schema.
    static let scalarCases: [(String, JSONValue)] = [
        ("anInt64", ["type": "string", "format": "int64", "pattern": "^-?[0-9]+$"]),
        ("aSint64", ["type": "string", "format": "int64", "pattern": "^-?[0-9]+$"]),
        ("aSfixed64", ["type": "string", "format": "int64", "pattern": "^-?[0-9]+$"]),
        ("aUint64", ["type": "string", "format": "uint64", "pattern": "^[0-9]+$"]),
        ("aFixed64", ["type": "string", "format": "uint64", "pattern": "^[0-9]+$"]),
        ("anInt32", ["type": "integer", "format": "int32", "minimum": -2_147_483_648, "maximum": 2_147_483_647]),
        ("aSint32", ["type": "integer", "format": "int32", "minimum": -2_147_483_648, "maximum": 2_147_483_647]),
        ("aUint32", ["type": "integer", "format": "uint32", "minimum": 0, "maximum": 4_294_967_295]),
        ("aFixed32", ["type": "integer", "format": "uint32", "minimum": 0, "maximum": 4_294_967_295]),
        ("aDouble", ["type": "number", "format": "double"]),
        ("aFloat", ["type": "number", "format": "float"]),
        ("aBool", ["type": "boolean"]),
        ("aString", ["type": "string"]),
        ("someBytes", ["type": "string", "contentEncoding": "base64"]),
    ]

    /// Each well-known-type property of `Everything` and its expected schema.
    static let wellKnownCases: [(String, JSONValue)] = [
        ("createdAt", ["type": "string", "format": "date-time"]),
        ("timeout", ["type": "string", "pattern": #"^-?[0-9]+(\.[0-9]{1,9})?s$"#, "examples": ["1.5s"]]),
        ("mask", ["type": "string"]),
        ("attributes", ["type": "object"]),
        ("anything", [:]),
        ("list", ["type": "array"]),
        ("nothing", ["type": "object"]),
        ("extension", ["type": "object"]),
        ("nothingAtAll", ["type": "null"]),
        ("nickname", ["type": ["string", "null"]]),
        ("big", ["type": ["string", "null"], "format": "int64", "pattern": "^-?[0-9]+$"]),
        ("flag", ["type": ["boolean", "null"]]),
        ("ratio", ["type": ["number", "null"], "format": "double"]),
    ]

    /// A property schema without `description`, `readOnly` and `writeOnly` (checked elsewhere).
    private static func withoutAnnotations(_ schema: JSONValue) -> JSONValue {
        guard case .object(let members) = schema else { return schema }
        return .object(members.filter { !["description", "readOnly", "writeOnly"].contains($0.key) })
    }

    @Test(
        "Scalars follow the JSON mapping: 64-bit integers are decimal strings, 32-bit ones bounded integers",
        arguments: Self.scalarCases
    )
    func scalars(property: String, expected: JSONValue) throws {
        let schema = try #require(try Self.everything()[property])

        #expect(Self.withoutAnnotations(schema) == expected)
    }

    @Test(
        "Well-known types have their JSON forms; wrappers are the wrapped scalar or null",
        arguments: Self.wellKnownCases
    )
    func wellKnownTypes(property: String, expected: JSONValue) throws {
        let schema = try #require(try Self.everything()[property])

        #expect(Self.withoutAnnotations(schema) == expected)
    }

    @Test("Enums are strings listing their value names, referenced from fields and lists")
    func enums() throws {
        let document = try APIFixture.document("types")
        let properties = try Self.everything()

        let color = try #require(document["components"]?["schemas"]?["metachat.fixture.types.v1.Color"])
        #expect(color["type"] == "string")
        #expect(color["enum"] == ["COLOR_UNSPECIFIED", "COLOR_RED", "COLOR_GREEN"])
        guard case .string(let description) = color["description"] else {
            Issue.record("no enum description")
            return
        }
        #expect(description.contains("- `COLOR_RED`: Red."))
        #expect(properties["color"]?["$ref"] == "#/components/schemas/metachat.fixture.types.v1.Color")
        #expect(properties["colors"]?["items"] == ["$ref": "#/components/schemas/metachat.fixture.types.v1.Color"])
        #expect(properties["colors"]?["type"] == "array")
    }

    @Test("Maps are objects whose additionalProperties is the value schema; integer keys get a pattern")
    func maps() throws {
        let properties = try Self.everything()

        #expect(properties["counters"]?["type"] == "object")
        #expect(
            properties["counters"]?["additionalProperties"]
                == ["type": "string", "format": "int64", "pattern": "^-?[0-9]+$"]
        )
        #expect(properties["counters"]?["propertyNames"] == nil)
        #expect(
            properties["nodesById"]?["additionalProperties"]
                == ["$ref": "#/components/schemas/metachat.fixture.types.v1.Node"]
        )
        #expect(properties["nodesById"]?["propertyNames"] == ["pattern": "^-?[0-9]+$"])
    }

    @Test("Property names are JSON names, including an explicit json_name; nothing is required")
    func propertyNames() throws {
        let document = try APIFixture.document("types")
        let properties = try Self.everything()

        #expect(properties["customName"] != nil)
        #expect(properties["renamed"] == nil)
        #expect(properties["a_string"] == nil)
        for name in document["components"]?["schemas"]?.keys ?? [] where name != "Error" {
            #expect(document["components"]?["schemas"]?[name]?["required"] == nil)
        }
    }

    @Test("Recursive and nested messages are $refs to components named by their full proto name")
    func references() throws {
        let document = try APIFixture.document("types")

        let node = try #require(document["components"]?["schemas"]?["metachat.fixture.types.v1.Node"]?["properties"])
        #expect(node["parent"]?["$ref"] == "#/components/schemas/metachat.fixture.types.v1.Node")
        #expect(node["children"]?["items"] == ["$ref": "#/components/schemas/metachat.fixture.types.v1.Node"])
        #expect(try Self.everything()["root"]?["$ref"] == "#/components/schemas/metachat.fixture.types.v1.Node")
        #expect(OpenAPISchemaGenerator.componentName("a.b/c d") == "a.b_c_d")
    }

    @Test("Output only fields are readOnly, write-only ones writeOnly, oneof members say so")
    func annotations() throws {
        let properties = try Self.everything()

        #expect(properties["createdAt"]?["readOnly"] == true)
        #expect(properties["secret"]?["writeOnly"] == true)
        #expect(properties["aString"]?["readOnly"] == nil)
        guard case .string(let description) = properties["byNumber"]?["description"] else {
            Issue.record("no oneof description")
            return
        }
        #expect(description.contains("oneof `choice`"))
    }

    @Test("google.protobuf.Empty as request and response is an inline object, not a dangling $ref")
    func emptyMessages() throws {
        let nothing = try #require(try APIFixture.document("types").operation("post", "/v1/nothing"))

        #expect(nothing["requestBody"]?["content"]?["application/json"]?["schema"] == ["type": "object"])
        #expect(nothing["responses"]?["200"]?["content"]?["application/json"]?["schema"] == ["type": "object"])
    }

    @Test("Query parameters of wrappers are the plain scalar, without null")
    func wrapperParameters() throws {
        let find = try #require(try APIFixture.document("types").operation("get", "/v1/things/{a_string}"))

        #expect(find.parameter("nickname")?["schema"] == ["type": "string"])
        #expect(find.parameter("flag")?["schema"] == ["type": "boolean"])
        #expect(find.parameter("colors")?["style"] == "form")
        #expect(find.parameter("colors")?["explode"] == true)
    }

    @Test("Rendering the types document reproduces the committed golden file byte for byte")
    func typesGolden() throws {
        let generated = try MetaChatGenerator().generate(
            files: [APIFixture.file("types")],
            options: CodegenOptions(parameter: "Output=OpenAPIJSON")
        )

        let golden = try String(
            contentsOf: OpenAPIDocumentGeneratorTests.fixture("types.openapi.json"),
            encoding: .utf8
        )
        #expect(generated.first?.content == golden)
    }
}
