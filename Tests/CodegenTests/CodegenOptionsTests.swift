import Codegen
import Testing

@Suite("Generator options")
struct CodegenOptionsTests {
    @Test("Visibility and repeated Import options are parsed")
    func parsesKnownOptions() throws {
        let options = try CodegenOptions(parameter: "Visibility=Internal,Import=Foo,Import=Bar")
        #expect(options.visibility == "internal")
        #expect(options.extraImports == ["Foo", "Bar"])
    }

    @Test("Without Output the plugin writes service files only, API version 1.0.0, no hand-written routes")
    func outputDefaults() throws {
        let options = try CodegenOptions(parameter: "Visibility=Public")
        #expect(options.outputs == [.services])
        #expect(options.apiVersion == "1.0.0")
        #expect(options.rawRoutes == .none)
    }

    @Test("Output names exactly the files to write; APIVersion and RawRoutes configure the documents")
    func documentOptions() throws {
        let options = try CodegenOptions(
            parameter: "Output=OpenAPISwift,Output=Markdown,APIVersion=2.3.4,RawRoutes=MetaChat"
        )
        #expect(options.outputs == [.openAPISwift, .markdown])
        #expect(options.apiVersion == "2.3.4")
        #expect(options.rawRoutes == .metaChat)
    }

    @Test(
        "Unknown keys, bad values and pairs without '=' are refused with a message naming them",
        arguments: [
            ("Colour=Red", "Colour"), ("Visibility=Open", "Open"), ("Visibility", "Key=Value"),
            ("Output=Swagger", "Swagger"), ("RawRoutes=Some", "Some"),
        ]
    )
    func refusesBadOptions(parameter: String, mentions: String) {
        let error = #expect(throws: CodegenError.self) { try CodegenOptions(parameter: parameter) }
        #expect(error?.code == .invalidOption)
        #expect(error?.message.contains(mentions) == true)
    }
}
