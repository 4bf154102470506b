/// A document's text as ingestion reads it: the text itself and its structure, as blocks
/// (headings, paragraphs, list items, tables, code) with their offsets and pages.
///
/// Offsets count Unicode scalar values of ``text``, as `Chunk.char_start` does. Extractors build
/// it with ``Builder``, which separates blocks by a blank line.
package struct ExtractedDocument: Sendable, Equatable {
    /// The kinds of blocks the chunker treats differently.
    package enum BlockKind: Sendable, Equatable {
        /// A heading of level 1 (largest) to 6.
        case heading(level: Int)
        /// Running text.
        case paragraph
        /// One item of a list.
        case listItem
        /// A whole table, rows separated by line breaks.
        case table
        /// Preformatted text.
        case code
    }

    /// One block of the text.
    package struct Block: Sendable, Equatable {
        /// What the block is.
        package var kind: BlockKind
        /// First scalar of the block in ``ExtractedDocument/text``.
        package var start: Int
        /// Just past the block's last scalar.
        package var end: Int
        /// 1-based PDF page; 0 for other types.
        package var page: Int
    }

    /// The whole extracted text.
    package var text: String
    /// Its blocks, in order, not overlapping.
    package var blocks: [Block]
    /// Pages of a PDF; 0 for other types.
    package var pageCount: Int

    /// Whether there is anything to index (some block holds a letter or digit).
    package var hasText: Bool {
        self.text.unicodeScalars.contains { $0.properties.isAlphabetic || $0.properties.numericType != nil }
    }

    /// Assembles an ``ExtractedDocument`` block by block.
    package struct Builder {
        private var text = ""
        private var blocks: [Block] = []
        private var length = 0
        /// The page the next blocks are on.
        package var page = 0
        /// Pages seen.
        package var pageCount = 0

        /// An empty document.
        package init() {}

        /// Appends a block (surrounding whitespace trimmed; nothing when that leaves nothing).
        package mutating func append(_ kind: BlockKind, _ content: some StringProtocol) {
            let trimmed = content.trimmingWhitespace()
            guard !trimmed.isEmpty else { return }
            if !self.blocks.isEmpty {
                self.text += "\n\n"
                self.length += 2
            }
            let count = trimmed.unicodeScalars.count
            self.blocks.append(Block(kind: kind, start: self.length, end: self.length + count, page: self.page))
            self.text += trimmed
            self.length += count
        }

        /// The document.
        package func build() -> ExtractedDocument {
            ExtractedDocument(text: self.text, blocks: self.blocks, pageCount: self.pageCount)
        }
    }
}

/// Why a file could not be read: ingestion ends FAILED with ``message`` and stores no chunk.
/// Never retried: the same bytes fail the same way.
package struct ExtractionError: Error, Equatable, CustomStringConvertible {
    /// A readable reason, naming no content.
    package var message: String

    /// An error with this reason.
    package init(_ message: String) {
        self.message = message
    }

    package var description: String { self.message }
}
