import Foundation
import Handlers
import Testing

@testable import DocumentReaders

@Suite("Extraction keeps the structure the chunker follows")
struct DocumentExtractionTests {
    @Test("Markdown: headings, lists, tables and code become blocks with exact offsets")
    func markdown() throws {
        let source = """
            # Guide

            Intro paragraph
            over two lines.

            - first item
            - second item

            | a | b |
            | 1 | 2 |

            ```
            code()
            ```
            """
        let document = try MarkdownExtractor.extract(Array(source.utf8))
        #expect(
            document.blocks.map(\.kind) == [
                .heading(level: 1), .paragraph, .listItem, .listItem, .table, .code,
            ])
        let scalars = Array(document.text.unicodeScalars)
        for block in document.blocks {
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[block.start..<block.end])
            #expect(!text.isEmpty && text == text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(document.text.contains("| a | b |\n| 1 | 2 |"))
    }

    @Test("HTML: scripts and styles dropped, entities decoded, tables kept as rows")
    func html() throws {
        let source = """
            <html><head><title>t</title><style>p{}</style></head><body>
            <h2>Returns &amp; refunds</h2><script>var x = "<p>no</p>";</script>
            <p>Send it back within <b>30</b>&nbsp;days.</p><!-- hidden -->
            <ul><li>Keep the receipt</li><li>Use the label</li></ul>
            <table><tr><th>Item</th><th>Days</th></tr><tr><td>Shoes</td><td>30</td></tr></table>
            </body></html>
            """
        let document = try HTMLExtractor.extract(Array(source.utf8))
        #expect(document.blocks.map(\.kind) == [.heading(level: 2), .paragraph, .listItem, .listItem, .table])
        #expect(document.text.contains("Returns & refunds"))
        #expect(document.text.contains("Send it back within 30 days."))
        #expect(!document.text.contains("var x"))
        #expect(!document.text.contains("hidden"))
        #expect(document.text.contains("Item | Days\nShoes | 30"))
    }

    @Test("DOCX: paragraphs, headings and a table from a deflated archive")
    func docx() throws {
        let bytes = DocumentFixtures.docx(
            [("Heading1", "Warranty"), (nil, "Two years on all parts & labour."), ("ListParagraph", "Keep the box")],
            table: [["Part", "Years"], ["Motor", "5"]])
        let document = try DOCXExtractor.extract(bytes)
        #expect(document.blocks.map(\.kind) == [.heading(level: 1), .paragraph, .listItem, .table])
        #expect(document.text.contains("Two years on all parts & labour."))
        #expect(document.text.contains("Part | Years\nMotor | 5"))
    }

    @Test("A zip bomb is refused while inflating, whatever its directory says")
    func zipBomb() throws {
        let bomb = DocumentFixtures.docxBomb(size: 80 << 20)
        #expect(bomb.count < 200 << 10)
        #expect(throws: ExtractionError.self) { try DOCXExtractor.extract(bomb) }
        do {
            _ = try DOCXExtractor.extract(bomb)
        } catch {
            #expect(error.message.contains("unpacks to more than"))
        }
    }

    @Test(
        "Damaged archives are refused with a reason",
        arguments: [
            [UInt8](Array("PK\u{3}\u{4}garbage".utf8)),
            Array(DocumentFixtures.zip([("other.xml", Array("<a/>".utf8))])),
            Array(DocumentFixtures.docx([(nil, "text")]).dropLast(30)),
        ])
    func damaged(bytes: [UInt8]) {
        #expect(throws: ExtractionError.self) { try DOCXExtractor.extract(bytes) }
    }

    @Test("Chunks follow headings, stay within the size and point at their text")
    func chunking() throws {
        var source =
            "# One\n\n" + String(repeating: "Alpha beta gamma delta. ", count: 80) + "\n\n# Two\n\nShort section.\n"
        source += "\n| h1 | h2 |\n| a | b |\n"
        let document = try MarkdownExtractor.extract(Array(source.utf8))
        let chunks = DocumentChunker(configuration: .init(maximumTokens: 100, overlapTokens: 20)).chunks(document)
        let scalars = Array(document.text.unicodeScalars)
        #expect(chunks.count >= 4)
        for chunk in chunks {
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[chunk.start..<chunk.end])
            #expect(text == chunk.text)
            #expect(chunk.tokenCount <= 100)
        }
        #expect(chunks.first?.text.hasPrefix("# One") == true)
        let second = try #require(chunks.first { $0.text.hasPrefix("# Two") })
        #expect(second.text.contains("Short section.") && second.text.contains("| a | b |"))
        // Consecutive chunks of the long section overlap.
        #expect(chunks[1].start < chunks[0].end)
    }
}
