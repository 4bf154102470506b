/// Cuts an ``ExtractedDocument`` into chunks that follow its structure: a heading starts a new
/// chunk, paragraphs, list items and tables are packed whole while they fit, a block larger than
/// a chunk is split at sentence ends (then at spaces), tables at row ends; consecutive chunks of
/// one section overlap by whole pieces of up to ``Configuration/overlapTokens``; a chunk never
/// spans two PDF pages.
///
/// Sizes are estimated tokens: a quarter of the Unicode scalars, rounded up (close to what
/// word-piece and BPE tokenizers give for English prose). Offsets are those of the extracted
/// text, so a chunk's text is exactly `text[charStart..<charEnd]`.
package struct DocumentChunker: Sendable {
    /// Chunk sizes.
    package struct Configuration: Sendable {
        /// Largest chunk, in estimated tokens (200: under the 256 word pieces the offline model
        /// reads).
        package var maximumTokens = 200
        /// Overlap between consecutive chunks of a section, in estimated tokens.
        package var overlapTokens = 40

        /// Sizes in estimated tokens.
        package init(maximumTokens: Int = 200, overlapTokens: Int = 40) {
            self.maximumTokens = maximumTokens
            self.overlapTokens = overlapTokens
        }
    }

    /// A chunk before it is embedded and stored.
    package struct Draft: Sendable, Equatable {
        /// The chunk text, `text[start..<end]` of the document.
        package var text: String
        /// First scalar in the extracted text.
        package var start: Int
        /// Just past the last scalar.
        package var end: Int
        /// 1-based PDF page; 0 for other types.
        package var page: Int
        /// Estimated tokens.
        package var tokenCount: Int
    }

    /// The sizes.
    package var configuration = Configuration()

    /// A chunker with `configuration`.
    package init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The estimated tokens of `scalars` scalars.
    package static func tokens(_ scalars: Int) -> Int { (scalars + 3) / 4 }

    /// The chunks of `document`, in order.
    package func chunks(_ document: ExtractedDocument) -> [Draft] {
        let scalars = Array(document.text.unicodeScalars)
        let maximum = max(8, self.configuration.maximumTokens)
        let overlap = min(max(0, self.configuration.overlapTokens), maximum / 2)
        var drafts: [Draft] = []
        var pieces: [(start: Int, end: Int, page: Int)] = []
        var sectionHasBody = false

        func tokens(_ piece: (start: Int, end: Int, page: Int)) -> Int { Self.tokens(piece.end - piece.start) }
        func span(_ list: [(start: Int, end: Int, page: Int)]) -> Int {
            guard let first = list.first, let last = list.last else { return 0 }
            return Self.tokens(last.end - first.start)
        }
        func emit(keepOverlap: Bool) {
            guard let first = pieces.first, let last = pieces.last else { return }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[first.start..<last.end])
            drafts.append(
                Draft(
                    text: text, start: first.start, end: last.end, page: first.page,
                    tokenCount: Self.tokens(last.end - first.start)))
            var kept: [(start: Int, end: Int, page: Int)] = []
            if keepOverlap {
                for piece in pieces.reversed() {
                    guard span([piece] + kept) <= overlap, kept.count + 1 < pieces.count else { break }
                    kept.insert(piece, at: 0)
                }
            }
            pieces = kept
        }

        for block in document.blocks {
            // A chunk never spans PDF pages, so its page cites all of it.
            if let last = pieces.last, last.page != block.page {
                emit(keepOverlap: false)
                sectionHasBody = false
            }
            if case .heading = block.kind {
                if sectionHasBody { emit(keepOverlap: false) }
                sectionHasBody = false
            } else {
                sectionHasBody = true
            }
            let parts =
                Self.tokens(block.end - block.start) <= maximum
                ? [(block.start, block.end, block.page)]
                : Self.split(scalars, block, maximum: maximum, rows: block.kind == .table)
            for part in parts {
                if !pieces.isEmpty, span(pieces + [part]) > maximum {
                    emit(keepOverlap: true)
                    while !pieces.isEmpty, span(pieces + [part]) > maximum { pieces.removeFirst() }
                }
                pieces.append(part)
            }
        }
        emit(keepOverlap: false)
        return drafts
    }

    /// Pieces of a block too large for one chunk: its sentences (cut after `.`, `!` or `?`
    /// followed by whitespace, or at a line break), or for tables its rows; a piece still larger
    /// than half a chunk is cut at its last space before that size (failing that, anywhere).
    /// The packing in ``chunks(_:)`` then fills chunks with whole pieces and overlaps them.
    static func split(
        _ scalars: [Unicode.Scalar], _ block: ExtractedDocument.Block, maximum: Int, rows: Bool
    ) -> [(start: Int, end: Int, page: Int)] {
        let limit = max(8, maximum / 2) * 4
        var result: [(start: Int, end: Int, page: Int)] = []
        var start = block.start
        func add(_ end: Int) {
            var end = end
            while end > start, scalars[end - 1].properties.isWhitespace { end -= 1 }
            if end > start { result.append((start, end, block.page)) }
        }
        var index = block.start
        var lastSpace: Int?
        while index < block.end {
            let scalar = scalars[index]
            if start == index, scalar.properties.isWhitespace {
                start += 1
                index += 1
                continue
            }
            let boundary =
                rows
                ? scalar == "\n"
                : scalar == "\n"
                    || (scalar.properties.isWhitespace && index > start
                        && [".", "!", "?"].contains(scalars[index - 1]))
            if boundary {
                add(index)
                start = index + 1
                lastSpace = nil
            } else if index - start >= limit {
                let cut = lastSpace ?? index
                add(cut)
                start = cut
                lastSpace = nil
                continue
            } else if scalar == " " {
                lastSpace = index
            }
            index += 1
        }
        add(block.end)
        return result
    }
}
