import Codegen
import Testing

@Suite("Namer")
struct NamerTests {
    @Test(
        "Method names become lower-camel Swift identifiers, keywords back-ticked",
        arguments: [
            ("GetTenant", "getTenant"),
            ("URLCheck", "urlCheck"),
            ("URL", "url"),
            ("get_tenant", "getTenant"),
            ("Delete", "delete"),
            ("Import", "`import`"),
            ("X", "x"),
        ]
    )
    func lowerCamel(input: String, expected: String) {
        #expect(Namer.lowerCamel(input) == expected)
    }

    @Test("Strings become Swift literals with quotes, backslashes and newlines escaped")
    func stringLiterals() {
        #expect(Namer.stringLiteral(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(Namer.stringLiteral("line\nbreak") == #""line\nbreak""#)
    }

    @Test("Output files are named after the proto path with underscores")
    func outputNames() {
        #expect(
            MetaChatGenerator.outputName(forProtoFile: "metachat/v1/tenants.proto")
                == "metachat_v1_tenants.metachat.swift")
    }

    @Test(
        "JSON names drop underscores and capitalise the next letter, as protoc does",
        arguments: [("tenant_id", "tenantId"), ("page_size", "pageSize"), ("text", "text"), ("a_b_c", "aBC")]
    )
    func protoJSONNames(input: String, expected: String) {
        #expect(Namer.protoJSONName(input) == expected)
    }

    @Test("The raw string delimiter grows until neither the closing quotes nor an escape can occur in the text")
    func rawStringDelimiters() {
        #expect(Namer.rawStringDelimiter(for: ##"{"$ref": "#/components"}"##) == "#")
        #expect(Namer.rawStringDelimiter(for: ##"a \# b"##) == "##")
        #expect(Namer.rawStringDelimiter(for: "x \"\"\"# and \\## y") == "###")
    }
}
