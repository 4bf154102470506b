/// Reads `text/plain`: paragraphs are separated by blank lines; a paragraph whose lines all start
/// with `- `, `* ` or a number and `.` is a list, one item per line.
package enum PlainTextExtractor {
    /// The text's blocks.
    package static func extract(_ bytes: [UInt8]) throws(ExtractionError) -> ExtractedDocument {
        let text = try Self.decode(bytes)
        var builder = ExtractedDocument.Builder()
        for paragraph in Self.paragraphs(text) {
            let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: true)
            if lines.count > 1, lines.allSatisfy({ MarkdownExtractor.listItemBody($0) != nil }) {
                for line in lines { builder.append(.listItem, line) }
            } else {
                builder.append(.paragraph, paragraph)
            }
        }
        return builder.build()
    }

    /// UTF-8 text without a byte-order mark, line endings normalised to `\n`.
    package static func decode(_ bytes: [UInt8]) throws(ExtractionError) -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            throw ExtractionError("the content is not valid UTF-8 text")
        }
        guard !text.contains("\u{0}") else { throw ExtractionError("the content holds NUL characters") }
        return text.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
    }

    /// Runs of non-blank lines.
    package static func paragraphs(_ text: String) -> [Substring] {
        var result: [Substring] = []
        var start: String.Index?
        var lineStart = text.startIndex
        var lastNonBlankEnd = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: "\n") ?? text.endIndex
            let line = text[lineStart..<lineEnd]
            if line.allSatisfy(\.isWhitespace) {
                if let paragraphStart = start {
                    result.append(text[paragraphStart..<lastNonBlankEnd])
                    start = nil
                }
            } else {
                if start == nil { start = lineStart }
                lastNonBlankEnd = lineEnd
            }
            lineStart = lineEnd < text.endIndex ? text.index(after: lineEnd) : text.endIndex
        }
        if let paragraphStart = start { result.append(text[paragraphStart..<lastNonBlankEnd]) }
        return result
    }
}
