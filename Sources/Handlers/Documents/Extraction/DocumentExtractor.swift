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
        return try self.checked(document, kind: kind)
    }

    /// The extracted text of the file stored at `path`, read as `kind`: a PDF is read by
    /// `pdftotext` where it lies; other kinds are read into memory first (`read`).
    ///
    /// - Throws: ``ExtractionError`` when the file cannot be read or holds no text.
    func extract(storedAt path: String, kind: DocumentKind, read: () throws -> [UInt8]) async throws
        -> ExtractedDocument
    {
        guard kind == .pdf else { return try await self.extract(try read(), kind: kind) }
        return try self.checked(try await self.pdf.extract(path: path), kind: kind)
    }

    private func checked(_ document: ExtractedDocument, kind: DocumentKind) throws -> ExtractedDocument {
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
