import Codegen
import SwiftProtobuf
import SwiftProtobufPluginLibrary
import Testing

@Suite("Descriptor parser")
struct DescriptorParserTests {
    @Test("The echo fixture parses into every call kind and every HTTP binding form")
    func parsesEveryKindAndBinding() throws {
        let set = try GoldenFileTests.descriptorSet(named: "echo.pb")
        let file = try #require(set.fileDescriptor(named: "echo.proto"))

        let services = try DescriptorParser(namer: SwiftProtobufNamer()).services(in: file)

        let service = try #require(services.first)
        #expect(service.fullName == "metachat.fixture.v1.EchoService")
        #expect(service.namespace == "Metachat_Fixture_V1_EchoService")
        let byName = Dictionary(uniqueKeysWithValues: service.methods.map { ($0.protoName, $0) })
        #expect(byName["Expand"]?.kind == .serverStreaming)
        #expect(byName["Collect"]?.kind == .clientStreaming)
        #expect(byName["Chat"]?.kind == .bidirectionalStreaming)
        #expect(byName["Collect"]?.httpBindings.isEmpty == true)

        let get = try #require(byName["Get"])
        #expect(get.kind == .unary)
        #expect(get.inputType == "Metachat_Fixture_V1_EchoRequest")
        #expect(
            get.httpBindings == [
                HTTPBindingModel(
                    httpMethod: "GET",
                    pathTemplate: "/v1/echo/{text}",
                    body: "",
                    responseBody: "",
                    pathVariables: ["text"]
                ),
                HTTPBindingModel(
                    httpMethod: "POST", pathTemplate: "/v1/echo", body: "*", responseBody: "", pathVariables: []),
            ]
        )
        #expect(byName["Update"]?.httpBindings.first?.pathVariables == ["target.room_id", "target.user_id"])
        #expect(byName["Update"]?.httpBindings.first?.body == "labels")
        #expect(byName["Replace"]?.httpBindings.first?.responseBody == "summary")
        #expect(byName["Delete"]?.httpBindings.first?.httpMethod == "DELETE")
        #expect(byName["Probe"]?.httpBindings.first?.httpMethod == "HEAD")
        #expect(get.documentation.first == "Echoes one message.")
    }

    @Test(
        "Malformed annotations are refused with an error naming the method and the problem",
        arguments: [
            (rule: Self.rule(get: "/v1/{missing}"), code: CodegenError.Code.unknownField, mentions: "missing"),
            (rule: Self.rule(get: "/v1/{text.nope}"), code: .unknownField, mentions: "text.nope"),
            (rule: Self.rule(post: "/v1/x", body: "nope"), code: .unknownField, mentions: "body 'nope'"),
            (rule: Self.rule(get: "/v1/x", responseBody: "nope"), code: .unknownField, mentions: "response_body"),
            (rule: Self.rule(get: "v1/no-slash"), code: .invalidHTTPRule, mentions: "must start with '/'"),
            (rule: Self.rule(get: "/v1/{text"), code: .invalidHTTPRule, mentions: "unclosed"),
            (rule: Self.rule(get: "/v1/{text}/{text}"), code: .invalidHTTPRule, mentions: "twice"),
            (rule: Google_Api_HttpRule(), code: .invalidHTTPRule, mentions: "needs get"),
            (rule: Self.nestedAdditionalBindings(), code: .invalidHTTPRule, mentions: "must not nest"),
        ]
    )
    func malformedAnnotationsAreRefused(rule: Google_Api_HttpRule, code: CodegenError.Code, mentions: String) throws {
        let file = try Self.singleMethodFile(rule: rule)

        let error = #expect(throws: CodegenError.self) {
            try DescriptorParser(namer: SwiftProtobufNamer()).services(in: file)
        }
        #expect(error?.code == code)
        #expect(error?.message.contains("test.v1.S.M") == true)
        #expect(error?.message.contains(mentions) == true)
    }

    static func rule(get: String, responseBody: String = "") -> Google_Api_HttpRule {
        var rule = Google_Api_HttpRule()
        rule.get = get
        rule.responseBody = responseBody
        return rule
    }

    static func rule(post: String, body: String) -> Google_Api_HttpRule {
        var rule = Google_Api_HttpRule()
        rule.post = post
        rule.body = body
        return rule
    }

    static func nestedAdditionalBindings() -> Google_Api_HttpRule {
        var inner = Self.rule(get: "/v1/inner")
        inner.additionalBindings = [Self.rule(get: "/v1/deeper")]
        var outer = Self.rule(get: "/v1/outer")
        outer.additionalBindings = [inner]
        return outer
    }

    /// A file `test.proto` with `service S { rpc M(Req) returns (Req); }` and the given rule.
    static func singleMethodFile(rule: Google_Api_HttpRule) throws -> FileDescriptor {
        var field = Google_Protobuf_FieldDescriptorProto()
        field.name = "text"
        field.number = 1
        field.type = .string
        field.label = .optional
        field.jsonName = "text"
        var message = Google_Protobuf_DescriptorProto()
        message.name = "Req"
        message.field = [field]

        var options = Google_Protobuf_MethodOptions()
        options.Google_Api_http = rule
        var method = Google_Protobuf_MethodDescriptorProto()
        method.name = "M"
        method.inputType = ".test.v1.Req"
        method.outputType = ".test.v1.Req"
        method.options = options
        var service = Google_Protobuf_ServiceDescriptorProto()
        service.name = "S"
        service.method = [method]

        var file = Google_Protobuf_FileDescriptorProto()
        file.name = "test.proto"
        file.package = "test.v1"
        file.syntax = "proto3"
        file.messageType = [message]
        file.service = [service]
        let set = DescriptorSet(protos: [file])
        return try #require(set.fileDescriptor(named: "test.proto"))
    }
}
