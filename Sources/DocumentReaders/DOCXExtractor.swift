/// Reads DOCX (Office Open XML word processing) files: `word/document.xml` from the zip
/// (``ZipArchive``, with its bomb limits), read by a forward scan over its tags. Paragraphs
/// styled `Heading1`…`Heading6` or `Title` become headings, numbered or bulleted paragraphs
/// list items, and each table one block with a line per row (cells joined by ` | `).
package enum DOCXExtractor {
    /// The document's blocks.
    package static func extract(_ bytes: [UInt8], limits: ZipArchive.Limits = ZipArchive.Limits())
        throws(ExtractionError)
        -> ExtractedDocument
    {
        let archive = try ZipArchive(bytes, limits: limits)
        guard let xml = try archive.read("word/document.xml") else {
            throw ExtractionError("the file is a zip archive but not a DOCX document (no word/document.xml)")
        }
        return Self.blocks(xml)
    }

    /// The blocks of a `document.xml`.
    static func blocks(_ xml: [UInt8]) -> ExtractedDocument {
        var builder = ExtractedDocument.Builder()
        var paragraph: [UInt8] = []
        var kind = ExtractedDocument.BlockKind.paragraph
        var inText = false
        var tableDepth = 0
        var row: [String] = []
        var cell: [String] = []
        var rows: [String] = []
        var index = 0

        while index < xml.count {
            let byte = xml[index]
            guard byte == UInt8(ascii: "<") else {
                if inText {
                    paragraph.append(byte)
                }
                index += 1
                continue
            }
            var end = index + 1
            while end < xml.count, xml[end] != UInt8(ascii: ">") { end += 1 }
            guard end < xml.count else { break }
            let tag = xml[(index + 1)..<end]
            index = end + 1
            let closing = tag.first == UInt8(ascii: "/")
            let nameBytes = (closing ? tag.dropFirst() : tag).prefix {
                $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "\t")
                    && $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r")
            }
            let name = String(decoding: nameBytes, as: UTF8.self)
            switch name {
            case "w:t":
                inText = !closing && tag.last != UInt8(ascii: "/")
            case "w:tab":
                if !closing { paragraph.append(UInt8(ascii: "\t")) }
            case "w:br", "w:cr":
                if !closing { paragraph.append(UInt8(ascii: "\n")) }
            case "w:pStyle":
                if let value = Self.attribute("w:val", in: tag) {
                    if value == "Title" {
                        kind = .heading(level: 1)
                    } else if value.hasPrefix("Heading"), let level = Int(value.dropFirst("Heading".count)),
                        (1...6).contains(level)
                    {
                        kind = .heading(level: level)
                    } else if value.hasPrefix("List") {
                        kind = .listItem
                    }
                }
            case "w:numPr":
                if !closing, case .paragraph = kind { kind = .listItem }
            case "w:p":
                if closing || tag.last == UInt8(ascii: "/") {
                    let text = Self.decodeText(paragraph)
                    if tableDepth > 0 {
                        if !text.trimmingWhitespace().isEmpty { cell.append(HTMLExtractor.collapse(text)) }
                    } else {
                        builder.append(kind, text)
                    }
                    paragraph = []
                    kind = .paragraph
                    inText = false
                }
            case "w:tc":
                if closing {
                    row.append(cell.joined(separator: " "))
                    cell = []
                }
            case "w:tr":
                if closing {
                    if row.contains(where: { !$0.isEmpty }) { rows.append(row.joined(separator: " | ")) }
                    row = []
                }
            case "w:tbl":
                if closing {
                    tableDepth = max(0, tableDepth - 1)
                    if tableDepth == 0 {
                        builder.append(.table, rows.joined(separator: "\n"))
                        rows = []
                    }
                } else {
                    tableDepth += 1
                }
            default:
                break
            }
        }
        return builder.build()
    }

    /// The value of attribute `name` in a tag's bytes.
    static func attribute(_ name: String, in tag: ArraySlice<UInt8>) -> String? {
        let needle = Array((name + "=\"").utf8)
        var index = tag.startIndex
        while index + needle.count <= tag.endIndex {
            if tag[index..<(index + needle.count)].elementsEqual(needle) {
                let start = index + needle.count
                let end = tag[start...].firstIndex(of: UInt8(ascii: "\"")) ?? tag.endIndex
                return String(decoding: tag[start..<end], as: UTF8.self)
            }
            index += 1
        }
        return nil
    }

    /// UTF-8 text with XML character references decoded.
    static func decodeText(_ bytes: [UInt8]) -> String {
        let scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        var text = ""
        var index = 0
        while index < scalars.count {
            if scalars[index] == "&" {
                let (decoded, length) = CharacterReferences.decode(scalars, at: index)
                text.unicodeScalars.append(contentsOf: decoded)
                index += length
            } else {
                text.unicodeScalars.append(scalars[index])
                index += 1
            }
        }
        return text
    }
}
