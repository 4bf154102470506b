internal import DocumentReaders
internal import FuzzSupport

/// libFuzzer entry point: the knowledge base's readers of uploaded bytes.
///
/// The first byte picks the reader (0 sniffing and plain text, 1 Markdown, 2 HTML, 3 DOCX: the
/// zip directory, inflation under small limits and the WordprocessingML scan), the second sets
/// the chunk size (8…263 tokens); the rest is the file. Every reader must either refuse with an
/// ``ExtractionError`` or produce blocks in order, inside the text; every chunk must be the exact
/// slice its offsets name and no larger than the chunk size. DOCX members are limited to 1 MiB
/// here, so a bomb is refused quickly instead of exhausting the fuzzer's memory.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDocumentReaders(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let reader = input.byte() % 4
    let maximum = 8 + Int(input.byte())
    let bytes = Array(input.rest)

    var limits = ZipArchive.Limits()
    limits.maximumMemberBytes = 1 << 20
    let document: ExtractedDocument
    do {
        switch reader {
        case 0:
            _ = try? DocumentKind.sniff(bytes, declared: "", filename: "")
            document = try PlainTextExtractor.extract(bytes)
        case 1: document = try MarkdownExtractor.extract(bytes)
        case 2: document = try HTMLExtractor.extract(bytes)
        default: document = try DOCXExtractor.extract(bytes, limits: limits)
        }
    } catch {
        fuzzCheck(!error.message.isEmpty, "an extraction error without a message")
        return 0
    }

    let scalars = Array(document.text.unicodeScalars)
    var previousEnd = 0
    for block in document.blocks {
        fuzzCheck(block.start >= previousEnd && block.start < block.end, "blocks out of order or empty")
        fuzzCheck(block.end <= scalars.count, "a block past the end of the text")
        previousEnd = block.end
    }
    let chunks = DocumentChunker(configuration: .init(maximumTokens: maximum, overlapTokens: maximum / 5))
        .chunks(document)
    for chunk in chunks {
        fuzzCheck(chunk.start < chunk.end && chunk.end <= scalars.count, "a chunk outside the text")
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[chunk.start..<chunk.end])
        fuzzCheck(text == chunk.text, "a chunk's text is not the slice its offsets name")
        fuzzCheck(chunk.tokenCount <= max(8, maximum), "a chunk larger than the chunk size")
    }
    return 0
}
