import DocumentReaders
import Handlers
import Testing

@Suite("Content types are decided by the content's first bytes")
struct DocumentKindTests {
    @Test(
        "Sniffing recognises each kind, or refuses with a reason",
        arguments: [
            (Array("%PDF-1.7\n".utf8), "", "a.pdf", DocumentKind.pdf),
            ([0x50, 0x4B, 0x03, 0x04, 0, 0], "", "a.docx", .docx),
            (Array("<!DOCTYPE html><p>x".utf8), "", "", .html),
            (Array("# Title\n".utf8), "text/markdown", "", .markdown),
            (Array("# Title\n".utf8), "", "notes.md", .markdown),
            (Array("plain words".utf8), "", "", .text),
            (Array("plain words".utf8), "text/plain; charset=utf-8", "", .text),
            (Array("<p>hello</p>".utf8), "text/html", "", .html),
        ] as [([UInt8], String, String, DocumentKind)])
    func recognised(bytes: [UInt8], declared: String, filename: String, expected: DocumentKind) throws {
        #expect(try DocumentKind.sniff(bytes, declared: declared, filename: filename) == expected)
    }

    @Test(
        "Contradictions and unknown content are refused",
        arguments: [
            (Array("plain".utf8), "application/pdf", DocumentKind.Mismatch.notText(declared: .pdf)),
            (Array("%PDF-1.4".utf8), "text/plain", .contradicts(declared: .text, found: .pdf)),
            ([0x50, 0x4B, 0x03, 0x04], "application/pdf", .contradicts(declared: .pdf, found: .docx)),
            ([0xFF, 0xD8, 0xFF, 0xE0, 0x00], "", .notText(declared: nil)),
            (Array("text".utf8), "image/png", .unsupportedDeclaredType),
        ] as [([UInt8], String, DocumentKind.Mismatch)])
    func refused(bytes: [UInt8], declared: String, expected: DocumentKind.Mismatch) {
        #expect(throws: expected) { try DocumentKind.sniff(bytes, declared: declared, filename: "") }
    }
}
