/// The content types the knowledge base ingests, decided from the content's first bytes
/// (``DocumentKind/sniff(_:declared:filename:)``), not only from what the client declared.
package enum DocumentKind: String, Sendable, CaseIterable {
    /// `text/plain`.
    case text = "text/plain"
    /// `text/markdown`.
    case markdown = "text/markdown"
    /// `text/html`.
    case html = "text/html"
    /// `application/pdf`.
    case pdf = "application/pdf"
    /// `application/vnd.openxmlformats-officedocument.wordprocessingml.document`.
    case docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    /// The MIME type stored and shown for documents of this kind.
    package var mimeType: String { self.rawValue }

    /// The kind a declared MIME type names (parameters such as `; charset=utf-8` ignored, case
    /// insensitive); `nil` for types the knowledge base does not take.
    package static func declared(_ mimeType: String) -> DocumentKind? {
        let base = mimeType.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
        let name = base.trimmingWhitespace().lowercased()
        switch name {
        case "text/plain": return .text
        case "text/markdown", "text/x-markdown": return .markdown
        case "text/html", "application/xhtml+xml": return .html
        case "application/pdf": return .pdf
        case DocumentKind.docx.rawValue: return .docx
        default: return nil
        }
    }

    /// The kind a file name's extension suggests; `nil` when it suggests none.
    package static func guessed(filename: String) -> DocumentKind? {
        guard let dot = filename.lastIndex(of: ".") else { return nil }
        switch filename[filename.index(after: dot)...].lowercased() {
        case "txt", "text": return .text
        case "md", "markdown": return .markdown
        case "html", "htm", "xhtml": return .html
        case "pdf": return .pdf
        case "docx": return .docx
        default: return nil
        }
    }

    /// The kind of content that starts with `prefix` (its first bytes; 8 KiB is plenty).
    ///
    /// PDF (`%PDF-`) and DOCX (a zip: `PK\u{3}\u{4}`) are recognised by their magic numbers;
    /// anything else must be UTF-8 text without NUL bytes, and is HTML when declared so or when
    /// it starts with `<!doctype html` or `<html`, Markdown when declared or named so, else
    /// plain text.
    ///
    /// - Parameters:
    ///   - prefix: The content's first bytes.
    ///   - declared: The MIME type the client declared (empty: none).
    ///   - filename: The file name, if any.
    /// - Returns: The kind.
    /// - Throws: ``DocumentKind/Mismatch`` when the content is none of the kinds, or contradicts
    ///   the declared type.
    package static func sniff(_ prefix: some Collection<UInt8>, declared: String, filename: String) throws(Mismatch)
        -> DocumentKind
    {
        let bytes = Array(prefix.prefix(8192))
        var claimed: DocumentKind?
        if !declared.isEmpty {
            guard let kind = Self.declared(declared) else { throw .unsupportedDeclaredType }
            claimed = kind
        }
        let found: DocumentKind
        if bytes.starts(with: Array("%PDF-".utf8)) {
            found = .pdf
        } else if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            found = .docx
        } else {
            guard Self.looksLikeText(bytes) else { throw .notText(declared: claimed) }
            let lowered = String(decoding: bytes.prefix(512), as: UTF8.self).trimmingWhitespace().lowercased()
            if claimed == .html || lowered.hasPrefix("<!doctype html") || lowered.hasPrefix("<html") {
                found = .html
            } else if claimed == .markdown || (claimed == nil && Self.guessed(filename: filename) == .markdown) {
                found = .markdown
            } else {
                found = .text
            }
        }
        if let claimed, claimed != found {
            let textual: Set<DocumentKind> = [.text, .markdown, .html]
            if !textual.contains(claimed), textual.contains(found) { throw .notText(declared: claimed) }
            // Text declared as another text kind is read as declared (HTML wins when it says so).
            guard textual.contains(claimed), textual.contains(found) else {
                throw .contradicts(declared: claimed, found: found)
            }
            return claimed
        }
        return found
    }

    /// Whether `bytes` is UTF-8 without NUL bytes (a multi-byte character cut at the end of the
    /// prefix is allowed).
    static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        guard !bytes.contains(0) else { return false }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var decoded = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): decoded += scalar.utf8Length
            case .emptyInput: return true
            case .error: return bytes.count - decoded < 4 && bytes.count >= 8192
            }
        }
    }

    /// Why content was refused before it was stored.
    package enum Mismatch: Error, Sendable, Equatable {
        /// The declared MIME type is not one the knowledge base takes.
        case unsupportedDeclaredType
        /// The content is not UTF-8 text and has no PDF or DOCX magic number.
        case notText(declared: DocumentKind?)
        /// The content is of another kind than declared.
        case contradicts(declared: DocumentKind, found: DocumentKind)

        /// A message for clients, naming no content.
        package var message: String {
            switch self {
            case .unsupportedDeclaredType:
                "must be one of text/plain, text/markdown, text/html, application/pdf or \(DocumentKind.docx.rawValue)"
            case .notText(let declared?):
                "says \(declared.rawValue), but the content is not \(declared == .pdf ? "a PDF (no %PDF- header)" : declared == .docx ? "a DOCX (not a zip archive)" : "UTF-8 text")"
            case .notText(nil):
                "cannot be recognised: the content is neither UTF-8 text nor a PDF or DOCX file"
            case .contradicts(let declared, let found):
                "says \(declared.rawValue), but the content is \(found.rawValue)"
            }
        }
    }
}

extension Unicode.Scalar {
    /// How many bytes the scalar takes in UTF-8.
    package var utf8Length: Int {
        switch self.value {
        case 0..<0x80: 1
        case 0x80..<0x800: 2
        case 0x800..<0x10000: 3
        default: 4
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace.
    package func trimmingWhitespace() -> String {
        let start = self.firstIndex { !$0.isWhitespace } ?? self.endIndex
        let end = self.lastIndex { !$0.isWhitespace }.map(self.index(after:)) ?? start
        return String(self[start..<end])
    }
}
