/// Reads `text/markdown` into blocks: ATX headings (`#`…`######`), fenced code, tables (lines
/// starting with `|`), list items (`-`, `*`, `+`, `1.`) and paragraphs. The block text is the
/// Markdown source itself (markup included), so offsets point into what the user wrote.
package enum MarkdownExtractor {
    /// The text's blocks.
    package static func extract(_ bytes: [UInt8]) throws(ExtractionError) -> ExtractedDocument {
        let text = try PlainTextExtractor.decode(bytes)
        var builder = ExtractedDocument.Builder()
        var paragraph: [Substring] = []
        var table: [Substring] = []
        var code: [Substring]?
        var item: [Substring] = []

        func flush() {
            if !paragraph.isEmpty { builder.append(.paragraph, paragraph.joined(separator: "\n")) }
            if !table.isEmpty { builder.append(.table, table.joined(separator: "\n")) }
            if !item.isEmpty { builder.append(.listItem, item.joined(separator: "\n")) }
            paragraph = []
            table = []
            item = []
        }

        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if var lines = code {
                lines.append(line)
                if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                    builder.append(.code, lines.joined(separator: "\n"))
                    code = nil
                } else {
                    code = lines
                }
                continue
            }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                flush()
                code = [line]
            } else if let level = Self.headingLevel(trimmed) {
                flush()
                builder.append(.heading(level: level), line)
            } else if trimmed.hasPrefix("|") {
                if !paragraph.isEmpty || !item.isEmpty { flush() }
                table.append(line)
            } else if Self.listItemBody(trimmed) != nil {
                flush()
                item = [line]
            } else if trimmed.isEmpty {
                flush()
            } else if !item.isEmpty {
                item.append(line)
            } else {
                if !table.isEmpty { flush() }
                paragraph.append(line)
            }
        }
        if let lines = code { builder.append(.code, lines.joined(separator: "\n")) }
        flush()
        return builder.build()
    }

    /// The level of an ATX heading line (`# Title` is 1); `nil` for other lines.
    static func headingLevel(_ line: Substring) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return nil }
        let rest = line.dropFirst(hashes)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        return hashes
    }

    /// The text after a list marker (`- `, `* `, `+ `, `12. `, `3) `); `nil` when the line is no
    /// list item.
    static func listItemBody(_ line: Substring) -> Substring? {
        let line = line.drop { $0 == " " }
        if let first = line.first, first == "-" || first == "*" || first == "+" {
            let rest = line.dropFirst()
            return rest.first == " " ? rest.dropFirst() : nil
        }
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        guard (1...9).contains(digits.count) else { return nil }
        let rest = line.dropFirst(digits.count)
        guard let marker = rest.first, marker == "." || marker == ")", rest.dropFirst().first == " " else {
            return nil
        }
        return rest.dropFirst(2)
    }
}
