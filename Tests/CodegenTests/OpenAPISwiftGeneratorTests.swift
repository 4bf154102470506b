import Codegen
import Testing

@Suite("OpenAPI Swift file")
struct OpenAPISwiftGeneratorTests {
    /// The value of the generated multi-line raw string literal, as Swift reads it: the lines
    /// between the delimiters with the closing delimiter's indentation removed.
    private static func literalValue(in source: String, delimiter: String) throws -> String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let open = try #require(lines.firstIndex { $0.hasSuffix("= \(delimiter)\"\"\"") })
        let close = try #require(lines.firstIndex { line in line.drop { $0 == " " } == "\"\"\"\(delimiter)" })
        let indentation = lines[close].prefix { $0 == " " }.count
        return lines[(open + 1)..<close].map { line in
            #expect(line.isEmpty || line.prefix(indentation).allSatisfy { $0 == " " })
            return String(line.dropFirst(indentation))
        }.joined(separator: "\n")
    }

    @Test("The enum's raw string literal holds the document exactly")
    func literalHoldsTheDocument() throws {
        let json = try APIFixture.document("echo").prettyText

        let source = OpenAPISwiftGenerator(json: json, visibility: "public").generate()

        #expect(source.contains("public enum MetaChatOpenAPI {"))
        #expect(source.contains("public static let json: String = #\"\"\""))
        #expect(try Self.literalValue(in: source, delimiter: "#") == json)
    }

    @Test("Text that would end or escape a #-delimited literal gets a longer delimiter")
    func longerDelimiter() throws {
        let json = "{\"text\": \"\"\"# and \\# inside\"}"

        let source = OpenAPISwiftGenerator(json: json, visibility: "package").generate()

        #expect(source.contains("package static let json: String = ##\"\"\""))
        #expect(try Self.literalValue(in: source, delimiter: "##") == json)
    }
}
