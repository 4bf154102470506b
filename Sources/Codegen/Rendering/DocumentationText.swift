/// Turns documentation comment lines into the text forms the API documents need.
package enum DocumentationText {
    /// The first sentence of the first paragraph, on one line: it ends at the first `. `
    /// followed by an upper-case letter outside parentheses, so `(e.g. a file)` does not end it.
    ///
    /// - Parameter lines: Documentation lines.
    /// - Returns: The sentence, or an empty string for no documentation.
    package static func summary(_ lines: [String]) -> String {
        let paragraph = Self.inline(Array(lines.prefix { !$0.isEmpty }))
        let characters = Array(paragraph)
        var depth = 0
        for index in characters.indices {
            switch characters[index] {
            case "(": depth += 1
            case ")": depth = max(0, depth - 1)
            case "." where depth == 0 && index + 2 < characters.count:
                if characters[index + 1] == " " && characters[index + 2].isUppercase {
                    return String(characters[...index])
                }
            default: break
            }
        }
        return paragraph
    }

    /// The lines joined with newlines, paragraphs kept (Markdown reads single newlines as
    /// spaces).
    ///
    /// - Parameter lines: Documentation lines.
    /// - Returns: The text.
    package static func block(_ lines: [String]) -> String {
        lines.joined(separator: "\n")
    }

    /// The lines joined with spaces into one line, for table cells.
    ///
    /// - Parameter lines: Documentation lines.
    /// - Returns: The text on one line.
    package static func inline(_ lines: [String]) -> String {
        lines.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
