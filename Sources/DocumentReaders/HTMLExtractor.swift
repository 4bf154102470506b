/// Reads `text/html` into blocks: tags are stripped, `script`, `style`, `template`, `noscript`,
/// `head` and comments dropped, character references decoded; `h1`-`h6` become headings, `li`
/// list items, `pre` code, a `table` one block with a line per row (cells joined by ` | `),
/// and other block elements (`p`, `div`, `br`, …) end a paragraph.
///
/// The parser is a single forward scan with no recursion and no backtracking, so any input,
/// however malformed, is read in linear time.
package enum HTMLExtractor {
    private static let skipped: Set<String> = ["script", "style", "template", "noscript", "head", "svg", "iframe"]
    private static let breaking: Set<String> = [
        "p", "div", "br", "hr", "section", "article", "header", "footer", "main", "nav", "aside", "blockquote",
        "ul", "ol", "dl", "dt", "dd", "figure", "figcaption", "form", "fieldset", "address", "body", "html",
    ]

    /// The text's blocks.
    package static func extract(_ bytes: [UInt8]) throws(ExtractionError) -> ExtractedDocument {
        let source = Array(try PlainTextExtractor.decode(bytes).unicodeScalars)
        var builder = ExtractedDocument.Builder()
        var current = ""
        var currentKind = ExtractedDocument.BlockKind.paragraph
        var tableRows: [String] = []
        var row: [String] = []
        var inTable = 0
        var preDepth = 0

        func endBlock() {
            if inTable > 0 {
                if !current.trimmingWhitespace().isEmpty { row.append(Self.collapse(current)) }
            } else {
                builder.append(currentKind, preDepth > 0 || currentKind == .code ? current : Self.collapse(current))
            }
            current = ""
            currentKind = .paragraph
        }

        var index = 0
        while index < source.count {
            let scalar = source[index]
            if scalar == "<" {
                if Self.matches(source, at: index, "<!--") {
                    index = Self.find(source, from: index + 4, "-->").map { $0 + 3 } ?? source.count
                    continue
                }
                guard let close = Self.find(source, from: index + 1, ">") else {
                    current.unicodeScalars.append(contentsOf: source[index...])
                    break
                }
                let tag = Self.tagName(source[(index + 1)..<close])
                index = close + 1
                guard let tag else { continue }
                if !tag.closing, Self.skipped.contains(tag.name), !tag.selfClosing {
                    index =
                        Self.find(source, from: index, "</" + tag.name).flatMap { end in
                            Self.find(source, from: end, ">").map { $0 + 1 }
                        } ?? source.count
                    continue
                }
                switch tag.name {
                case "h1", "h2", "h3", "h4", "h5", "h6":
                    endBlock()
                    if !tag.closing, let level = Int(tag.name.dropFirst()) { currentKind = .heading(level: level) }
                case "li":
                    endBlock()
                    if !tag.closing { currentKind = .listItem }
                case "pre":
                    endBlock()
                    preDepth = max(0, preDepth + (tag.closing ? -1 : 1))
                    if !tag.closing { currentKind = .code }
                case "table":
                    endBlock()
                    if tag.closing {
                        inTable = max(0, inTable - 1)
                        if inTable == 0 {
                            if !row.isEmpty { tableRows.append(row.joined(separator: " | ")) }
                            builder.append(.table, tableRows.joined(separator: "\n"))
                            tableRows = []
                            row = []
                        }
                    } else {
                        inTable += 1
                    }
                case "tr":
                    endBlock()
                    if inTable > 0, !row.isEmpty {
                        tableRows.append(row.joined(separator: " | "))
                        row = []
                    }
                case "td", "th":
                    endBlock()
                default:
                    if Self.breaking.contains(tag.name) { endBlock() }
                }
                continue
            }
            if scalar == "&" {
                let (decoded, length) = CharacterReferences.decode(source, at: index)
                current.unicodeScalars.append(contentsOf: decoded)
                index += length
                continue
            }
            current.unicodeScalars.append(scalar)
            index += 1
        }
        endBlock()
        if inTable > 0 {
            if !row.isEmpty { tableRows.append(row.joined(separator: " | ")) }
            builder.append(.table, tableRows.joined(separator: "\n"))
        }
        return builder.build()
    }

    /// Runs of whitespace become one space.
    static func collapse(_ text: String) -> String {
        var result = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.unicodeScalars.append(" ") }
                pendingSpace = false
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// The lowercased name of a tag's inside (`/p`, `br/`, `a href=…`); `nil` for declarations
    /// and processing instructions.
    static func tagName(_ inside: ArraySlice<Unicode.Scalar>) -> (name: String, closing: Bool, selfClosing: Bool)? {
        var slice = inside[...]
        let closing = slice.first == "/"
        if closing { slice = slice.dropFirst() }
        guard let first = slice.first, first.properties.isAlphabetic else { return nil }
        var name = ""
        for scalar in slice {
            guard scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" else { break }
            name.unicodeScalars.append(scalar)
            if name.unicodeScalars.count > 32 { break }
        }
        return (name.lowercased(), closing, inside.last == "/")
    }

    /// Whether `needle` (ASCII, compared case-insensitively) starts at `index`.
    static func matches(_ source: [Unicode.Scalar], at index: Int, _ needle: String) -> Bool {
        let scalars = Array(needle.unicodeScalars)
        guard index + scalars.count <= source.count else { return false }
        for (offset, scalar) in scalars.enumerated() {
            let candidate = source[index + offset]
            guard candidate == scalar || Self.lower(candidate) == scalar else { return false }
        }
        return true
    }

    /// The index where `needle` next starts at or after `from`.
    static func find(_ source: [Unicode.Scalar], from: Int, _ needle: String) -> Int? {
        guard let first = needle.unicodeScalars.first else { return nil }
        var index = from
        while index < source.count {
            if source[index] == first || Self.lower(source[index]) == first, Self.matches(source, at: index, needle) {
                return index
            }
            index += 1
        }
        return nil
    }

    private static func lower(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar
    }
}
