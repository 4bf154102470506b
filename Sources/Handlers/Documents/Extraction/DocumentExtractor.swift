internal import DocumentReaders

/// Picks the extractor for a document's kind and enforces what every extraction shares: some
/// text must come out, and at most ``maximumScalars`` of it.
struct DocumentExtractor: Sendable {
    /// The longest extracted text ingested (16 million characters, ~64 MiB in memory).
    static let maximumScalars = 16_000_000

    /// Reads PDFs.
    var pdf: PDFExtractor

    /// The extracted text of `bytes`, read as `kind`.
    ///
    /// - Throws: ``ExtractionError`` when the file cannot be read or holds no text.
    func extract(_ bytes: [UInt8], kind: DocumentKind) async throws -> ExtractedDocument {
        guard !bytes.isEmpty else { throw ExtractionError("the file is empty") }
        let document: ExtractedDocument
        switch kind {
        case .text: document = try PlainTextExtractor.extract(bytes)
        case .markdown: document = try MarkdownExtractor.extract(bytes)
        case .html: document = try HTMLExtractor.extract(bytes)
        case .docx: document = try DOCXExtractor.extract(bytes)
        case .pdf: document = try await self.pdf.extract(bytes)
        }
        guard document.text.unicodeScalars.count <= Self.maximumScalars else {
            throw ExtractionError("the document's text is longer than 16 million characters")
        }
        guard document.hasText else {
            throw ExtractionError(
                kind == .pdf
                    ? "the PDF holds no text (a scanned image? text recognition is not supported)"
                    : "the document holds no text")
        }
        return document
    }
}
