import CZlib
import Foundation

/// Files the document tests ingest, made by the tests from text: DOCX archives written here
/// (stored or deflated members, zip bombs), PDFs made by Debian's enscript + ps2pdf (encrypted
/// ones by qpdf).
enum DocumentFixtures {
    /// A zip archive of `members` (name, bytes); deflated with zlib when `deflate`.
    static func zip(_ members: [(String, [UInt8])], deflate: Bool = false) -> [UInt8] {
        var archive: [UInt8] = []
        var directory: [UInt8] = []
        for (name, content) in members {
            let data = deflate ? Self.deflate(content) : content
            let crc = UInt32(content.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
            let offset = UInt32(archive.count)
            let nameBytes = Array(name.utf8)
            let method: UInt16 = deflate ? 8 : 0
            archive +=
                Self.le32(0x0403_4B50) + Self.le16(20) + Self.le16(0) + Self.le16(method) + Self.le16(0)
                + Self.le16(0) + Self.le32(crc) + Self.le32(UInt32(data.count)) + Self.le32(UInt32(content.count))
                + Self.le16(UInt16(nameBytes.count)) + Self.le16(0) + nameBytes + data
            directory +=
                Self.le32(0x0201_4B50) + Self.le16(20) + Self.le16(20) + Self.le16(0) + Self.le16(method)
                + Self.le16(0) + Self.le16(0) + Self.le32(crc) + Self.le32(UInt32(data.count))
                + Self.le32(UInt32(content.count)) + Self.le16(UInt16(nameBytes.count)) + Self.le16(0) + Self.le16(0)
                + Self.le16(0) + Self.le16(0) + Self.le32(0) + Self.le32(offset) + nameBytes
        }
        let directoryOffset = UInt32(archive.count)
        archive += directory
        archive +=
            Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0) + Self.le16(UInt16(members.count))
            + Self.le16(UInt16(members.count)) + Self.le32(UInt32(directory.count)) + Self.le32(directoryOffset)
            + Self.le16(0)
        return archive
    }

    /// A DOCX whose body holds `paragraphs` (style, text) and one table of `rows`.
    static func docx(_ paragraphs: [(style: String?, text: String)], table: [[String]] = [], deflate: Bool = true)
        -> [UInt8]
    {
        var body = ""
        for (style, text) in paragraphs {
            let properties = style.map { "<w:pPr><w:pStyle w:val=\"\($0)\"/></w:pPr>" } ?? ""
            body += "<w:p>\(properties)<w:r><w:t xml:space=\"preserve\">\(Self.escape(text))</w:t></w:r></w:p>"
        }
        if !table.isEmpty {
            body += "<w:tbl>"
            for row in table {
                body +=
                    "<w:tr>"
                    + row.map { "<w:tc><w:p><w:r><w:t>\(Self.escape($0))</w:t></w:r></w:p></w:tc>" }
                    .joined() + "</w:tr>"
            }
            body += "</w:tbl>"
        }
        let document = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>\(body)</w:body></w:document>
            """
        let contentTypes = """
            <?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>
            """
        return Self.zip(
            [("[Content_Types].xml", Array(contentTypes.utf8)), ("word/document.xml", Array(document.utf8))],
            deflate: deflate)
    }

    /// A DOCX whose `word/document.xml` inflates to `size` bytes of zeros (a zip bomb).
    static func docxBomb(size: Int) -> [UInt8] {
        Self.zip([("word/document.xml", [UInt8](repeating: 0x20, count: size))], deflate: true)
    }

    /// A PDF of `pages` (one text per page), made with enscript and ps2pdf.
    static func pdf(pages: [String]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = pages.joined(separator: "\u{C}")
        try Data(text.utf8).write(to: directory.appendingPathComponent("in.txt"))
        try Self.run("/usr/bin/enscript", ["-B", "-q", "-X", "latin1", "-o", "out.ps", "in.txt"], in: directory)
        try Self.run("/usr/bin/ps2pdf", ["out.ps", "out.pdf"], in: directory)
        return Array(try Data(contentsOf: directory.appendingPathComponent("out.pdf")))
    }

    /// `pdf` encrypted with a user password (qpdf).
    static func encrypted(_ pdf: [UInt8]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pdf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(pdf).write(to: directory.appendingPathComponent("plain.pdf"))
        try Self.run(
            "/usr/bin/qpdf", ["--encrypt", "secret", "owner", "256", "--", "plain.pdf", "locked.pdf"], in: directory)
        return Array(try Data(contentsOf: directory.appendingPathComponent("locked.pdf")))
    }

    private static func run(_ executable: String, _ arguments: [String], in directory: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "\(executable) failed"])
        }
    }

    private static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        _ = CZlib_deflateInit2(&stream, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
        var input = bytes
        let produced = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = inputBuffer.baseAddress
                stream.avail_in = UInt32(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = UInt32(outputBuffer.count)
                _ = CZlib.deflate(&stream, Z_FINISH)
                return outputBuffer.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
