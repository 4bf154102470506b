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

    @Test(
        "Unknown keys, bad values and pairs without '=' are refused with a message naming them",
        arguments: [("Colour=Red", "Colour"), ("Visibility=Open", "Open"), ("Visibility", "Key=Value")]
    )
    func refusesBadOptions(parameter: String, mentions: String) {
        let error = #expect(throws: CodegenError.self) { try CodegenOptions(parameter: parameter) }
        #expect(error?.code == .invalidOption)
        #expect(error?.message.contains(mentions) == true)
    }
}
