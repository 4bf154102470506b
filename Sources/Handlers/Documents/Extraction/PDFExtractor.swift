internal import DocumentReaders
internal import FoundationEssentials

#if canImport(Glibc)
    internal import Glibc
#endif

/// Reads `application/pdf` with poppler's `pdftotext` (Debian `poppler-utils`): the text of
/// each page (pages end with a form feed), split into paragraphs at blank lines, each block
/// carrying its 1-based page.
///
/// `pdftotext` runs as a child process with a time limit, its input and output in a private
/// temporary directory, so a hostile PDF costs at most that time and never the server's memory
/// layout.
struct PDFExtractor: Sendable {
    /// The `pdftotext` executable.
    var executable: String = "/usr/bin/pdftotext"
    /// Where temporary files go.
    var temporaryDirectory: String
    /// The longest a run may take.
    var timeLimit: Duration = .seconds(120)

    /// The PDF's blocks.
    func extract(_ bytes: [UInt8]) async throws -> ExtractedDocument {
        let directory = "\(self.temporaryDirectory)/pdf-\(UUID().uuidString.lowercased())"
        _ = mkdir(self.temporaryDirectory, 0o700)
        guard mkdir(directory, 0o700) == 0 else { throw DocumentFileError(operation: "mkdir", errno: errno) }
        defer {
            for name in ["in.pdf", "out.txt", "err.txt"] { _ = unlink("\(directory)/\(name)") }
            _ = rmdir(directory)
        }
        try Self.write(bytes, to: "\(directory)/in.pdf")
        return try await self.run(input: "\(directory)/in.pdf", directory: directory)
    }

    /// The blocks of the PDF stored at `path`, read where it lies (a 100 MiB upload is never
    /// loaded into the server's memory).
    func extract(path: String) async throws -> ExtractedDocument {
        let directory = "\(self.temporaryDirectory)/pdf-\(UUID().uuidString.lowercased())"
        _ = mkdir(self.temporaryDirectory, 0o700)
        guard mkdir(directory, 0o700) == 0 else { throw DocumentFileError(operation: "mkdir", errno: errno) }
        defer {
            for name in ["out.txt", "err.txt"] { _ = unlink("\(directory)/\(name)") }
            _ = rmdir(directory)
        }
        return try await self.run(input: path, directory: directory)
    }

    /// Runs `pdftotext` on `input`, writing into `directory`.
    private func run(input: String, directory: String) async throws -> ExtractedDocument {
        let status = try await ChildProcess.run(
            self.executable, ["-enc", "UTF-8", "-eol", "unix", input, "\(directory)/out.txt"],
            stderrPath: "\(directory)/err.txt", timeLimit: self.timeLimit)
        guard status == 0 else {
            let errors = (try? Self.read("\(directory)/err.txt", limit: 4096)).map {
                String(decoding: $0, as: UTF8.self)
            }
            if status == ChildProcess.timedOut {
                throw ExtractionError("reading the PDF took longer than \(self.timeLimit.components.seconds) s")
            }
            if let errors, errors.lowercased().contains("password") {
                throw ExtractionError("the PDF is encrypted (password protected); upload an unprotected copy")
            }
            throw ExtractionError("the PDF could not be read (damaged or unsupported)")
        }
        let output = try Self.read("\(directory)/out.txt", limit: 256 << 20)
        let text = String(decoding: output, as: UTF8.self)
        var builder = ExtractedDocument.Builder()
        let pages = text.split(separator: "\u{C}", omittingEmptySubsequences: false)
        for (number, page) in pages.enumerated() {
            if number == pages.count - 1, page.allSatisfy(\.isWhitespace) { break }
            builder.page = number + 1
            builder.pageCount = number + 1
            for paragraph in PlainTextExtractor.paragraphs(String(page)) {
                builder.append(.paragraph, paragraph)
            }
        }
        return builder.build()
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw DocumentFileError(operation: "create", errno: errno) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(descriptor, base + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw DocumentFileError(operation: "write", errno: errno)
            }
            written += result
        }
    }

    static func read(_ path: String, limit: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DocumentFileError(operation: "open", errno: errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < limit {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw DocumentFileError(operation: "read", errno: errno)
            }
            if got == 0 { break }
            bytes += buffer[..<got]
        }
        return bytes
    }
}
