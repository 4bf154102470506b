import RPCServer
import Testing

@testable import RESTBridge

@Suite("Path templates, JSON parsing and networks")
struct RoutingUnitTests {
    private static func segments(_ path: String) -> [Substring] {
        path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    }

    @Test("Templates bind single-segment, nested, pattern and trailing-wildcard variables")
    func templates() throws {
        let nested = try PathTemplate("/v1/rooms/{target.room_id}/users/{target.user_id=*}")
        let files = try PathTemplate("/v1/{name=files/**}:download")

        let bound = try #require(nested.match(Self.segments("/v1/rooms/r%201/users/u")))
        #expect(bound.map(\.fieldPath) == ["target.room_id", "target.user_id"])
        #expect(bound.map(\.value) == ["r 1", "u"])
        #expect(nested.match(Self.segments("/v1/rooms/r/users")) == nil)
        let file = try #require(files.match(Self.segments("/v1/files/a/b%2Fc:download")))
        #expect(file.first?.value == "files/a/b%2Fc")
        #expect(files.match(Self.segments("/v1/files/a")) == nil)
        #expect(nested.openAPIPath == "/v1/rooms/{target.room_id}/users/{target.user_id}")
    }

    @Test("Malformed templates are refused with a reason")
    func malformedTemplates() {
        #expect(throws: PathTemplate.Malformed.self) { try PathTemplate("v1/no-slash") }
        #expect(throws: PathTemplate.Malformed.self) { try PathTemplate("/v1/{open") }
        #expect(throws: PathTemplate.Malformed.self) { try PathTemplate("/v1/**/tail") }
        #expect(throws: PathTemplate.Malformed.self) { try PathTemplate("/v1//x") }
    }

    @Test("Literal segments are more specific than variables")
    func specificity() throws {
        let literal = try PathTemplate("/api/conversations/events")
        let variable = try PathTemplate("/api/conversations/{conversation_id}")

        #expect(variable.specificity.lexicographicallyPrecedes(literal.specificity))
    }

    @Test("The JSON parser keeps number text and member order, and reports line and column")
    func jsonParser() throws {
        let value = try JSONParser.parse(Array(#"{"b":9007199254740993,"a":[true,null,"\u00e9\ud83d\ude00"]}"#.utf8))

        #expect(value.text == #"{"b":9007199254740993,"a":[true,null,"é😀"]}"#)
        #expect(throws: JSONParser.SyntaxError(reason: "expected ',' or '}' in an object", line: 2, column: 3)) {
            try JSONParser.parse(Array("{\"a\":1\n  \"b\":2}".utf8))
        }
        #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array("01".utf8)) }
        #expect(throws: JSONParser.SyntaxError.self) {
            try JSONParser.parse(Array(String(repeating: "[", count: 500).utf8))
        }
    }

    @Test("Networks match IPv4, IPv6 and IPv4-mapped addresses by prefix")
    func networks() throws {
        let ten = try #require(IPNetwork("10.0.0.0/8"))
        let v6 = try #require(IPNetwork("2001:db8::/32"))

        #expect(ten.contains("10.20.30.40"))
        #expect(ten.contains("::ffff:10.1.2.3"))
        #expect(!ten.contains("11.0.0.1"))
        #expect(v6.contains("2001:db8:1::5"))
        #expect(!v6.contains("2001:db9::1"))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("not-an-ip") == nil)
    }

    @Test("Parameters are written in the protobuf wire format: varint, zig-zag, fixed, nested and enums")
    func binaryParameters() throws {
        let registry = try SchemaRegistry(descriptorSets: [])
        let zigzag = FieldSchema(number: 1, wireEncoding: .zigzag, name: "s", jsonName: "s", kind: .int64)
        let fixed = FieldSchema(number: 2, wireEncoding: .fixed32, name: "f", jsonName: "f", kind: .uint32)
        let double = FieldSchema(number: 3, wireEncoding: .fixed64, name: "d", jsonName: "d", kind: .double)
        let negative = FieldSchema(number: 4, wireEncoding: .varint, name: "n", jsonName: "n", kind: .int32)
        let parent = FieldSchema(number: 5, name: "p", jsonName: "p", kind: .message("x.P"))
        let child = FieldSchema(number: 1, name: "c", jsonName: "c", kind: .string)
        var writer = BinaryParameterWriter(registry: registry)

        try writer.append(.number("-1"), along: [zigzag])
        try writer.append(.string("7"), along: [fixed])
        try writer.append(.number("1.5"), along: [double])
        try writer.append(.number("-2"), along: [negative])
        try writer.append(.string("hi"), along: [parent, child])

        let expected: [UInt8] =
            [0x08, 0x01]  // field 1 varint, zig-zag(-1) = 1
            + [0x15, 0x07, 0x00, 0x00, 0x00]  // field 2 fixed32 7
            + [0x19, 0, 0, 0, 0, 0, 0, 0xF8, 0x3F]  // field 3 fixed64 1.5
            + [0x20, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]  // field 4 varint -2
            + [0x2A, 0x04, 0x0A, 0x02, 0x68, 0x69]  // field 5 { field 1 "hi" }
        #expect(writer.bytes == expected)
        #expect(throws: BinaryParameterWriter.Unsupported.self) {
            try writer.append(.string("x"), along: [FieldSchema(name: "m", jsonName: "m", kind: .message("x.M"))])
        }
    }
}
