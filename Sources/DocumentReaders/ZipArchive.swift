private import CZlib

/// Reads members of a zip archive (what a DOCX file is) from memory: the central directory,
/// then one member's bytes, stored or deflated, inflated with zlib under a hard output limit.
///
/// Zip bombs are refused by construction: inflation stops as soon as the output passes
/// ``Limits/maximumMemberBytes`` whatever the archive declares, archives with more than
/// ``Limits/maximumEntries`` members are refused, and a member whose compression ratio passes
/// ``Limits/maximumRatio`` is refused.
package struct ZipArchive {
    /// Bounds on what an archive may make the reader do.
    package struct Limits: Sendable {
        /// Largest uncompressed member read (64 MiB).
        package var maximumMemberBytes = 64 << 20
        /// Most members in the central directory.
        package var maximumEntries = 10_000
        /// Largest uncompressed / compressed size ratio of a member (1000:1; real XML compresses
        /// about 10:1).
        package var maximumRatio = 1000

        /// The limits above.
        package init() {}
    }

    /// A member as the central directory lists it.
    struct Entry: Equatable {
        var name: String
        var method: UInt16
        var flags: UInt16
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    private let bytes: [UInt8]
    private let limits: Limits
    /// The members, in directory order.
    let entries: [Entry]

    /// Reads the central directory.
    ///
    /// - Throws: ``ExtractionError`` when `bytes` is not a readable zip archive.
    package init(_ bytes: [UInt8], limits: Limits = Limits()) throws(ExtractionError) {
        self.bytes = bytes
        self.limits = limits
        // The end-of-central-directory record: the last `PK\5\6` within 64 KiB + 22 of the end.
        guard bytes.count >= 22 else { throw ExtractionError("the DOCX file is not a complete zip archive") }
        var end = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while end >= lowest {
            if bytes[end] == 0x50, bytes[end + 1] == 0x4B, bytes[end + 2] == 0x05, bytes[end + 3] == 0x06 { break }
            end -= 1
        }
        guard end >= lowest else { throw ExtractionError("the DOCX file is not a complete zip archive") }
        let count = Int(Self.u16(bytes, end + 10))
        let directorySize = Int(Self.u32(bytes, end + 12))
        let directoryOffset = Int(Self.u32(bytes, end + 16))
        guard count <= limits.maximumEntries else {
            throw ExtractionError("the DOCX archive has more than \(limits.maximumEntries) members")
        }
        guard directoryOffset + directorySize <= end else {
            throw ExtractionError("the DOCX archive's directory is damaged")
        }
        var entries: [Entry] = []
        var position = directoryOffset
        for _ in 0..<count {
            guard position + 46 <= end, Self.u32(bytes, position) == 0x0201_4B50 else {
                throw ExtractionError("the DOCX archive's directory is damaged")
            }
            let nameLength = Int(Self.u16(bytes, position + 28))
            let extraLength = Int(Self.u16(bytes, position + 30))
            let commentLength = Int(Self.u16(bytes, position + 32))
            guard position + 46 + nameLength <= end else {
                throw ExtractionError("the DOCX archive's directory is damaged")
            }
            entries.append(
                Entry(
                    name: String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self),
                    method: Self.u16(bytes, position + 10),
                    flags: Self.u16(bytes, position + 8),
                    compressedSize: Int(Self.u32(bytes, position + 20)),
                    uncompressedSize: Int(Self.u32(bytes, position + 24)),
                    localHeaderOffset: Int(Self.u32(bytes, position + 42))))
            position += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// The uncompressed bytes of the member called `name`; `nil` when there is none.
    ///
    /// - Throws: ``ExtractionError`` for encrypted or damaged members, unsupported methods, and
    ///   members over the limits.
    package func read(_ name: String) throws(ExtractionError) -> [UInt8]? {
        guard let entry = self.entries.first(where: { $0.name == name }) else { return nil }
        guard entry.flags & 0x1 == 0 else { throw ExtractionError("the DOCX file is encrypted") }
        guard entry.uncompressedSize <= self.limits.maximumMemberBytes else {
            throw ExtractionError("the DOCX file unpacks to more than \(self.limits.maximumMemberBytes >> 20) MiB")
        }
        let header = entry.localHeaderOffset
        guard header + 30 <= self.bytes.count, Self.u32(self.bytes, header) == 0x0403_4B50 else {
            throw ExtractionError("the DOCX archive is damaged")
        }
        let start = header + 30 + Int(Self.u16(self.bytes, header + 26)) + Int(Self.u16(self.bytes, header + 28))
        guard start + entry.compressedSize <= self.bytes.count else {
            throw ExtractionError("the DOCX archive is damaged")
        }
        let data = self.bytes[start..<(start + entry.compressedSize)]
        switch entry.method {
        case 0:
            return Array(data)
        case 8:
            let limit = min(
                self.limits.maximumMemberBytes,
                max(
                    64 << 10,
                    entry.compressedSize.multipliedReportingOverflow(
                        by: self.limits.maximumRatio
                    ).overflow ? Int.max : entry.compressedSize * self.limits.maximumRatio))
            return try Self.inflate(data, limit: limit)
        default:
            throw ExtractionError("the DOCX archive uses an unsupported compression method")
        }
    }

    /// Raw-deflate `data`, refusing output past `limit` bytes.
    static func inflate(_ data: ArraySlice<UInt8>, limit: Int) throws(ExtractionError) -> [UInt8] {
        var stream = z_stream()
        guard CZlib_inflateInit2(&stream, -15) == Z_OK else { throw ExtractionError("the DOCX archive is damaged") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var input = Array(data)
        let result: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = UInt32(inputBuffer.count)
            while true {
                let status = buffer.withUnsafeMutableBufferPointer { outputBuffer in
                    stream.next_out = outputBuffer.baseAddress
                    stream.avail_out = UInt32(outputBuffer.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = buffer.count - Int(stream.avail_out)
                if output.count + produced > limit { return -100 }
                output += buffer[..<produced]
                if status == Z_STREAM_END { return Z_STREAM_END }
                if status != Z_OK { return status }
                if produced == 0 && stream.avail_in == 0 { return Z_BUF_ERROR }
            }
        }
        if result == -100 {
            throw ExtractionError(
                "the DOCX file unpacks to more than \(limit >> 20 > 0 ? "\(limit >> 20) MiB" : "\(limit) bytes") (a zip bomb?)"
            )
        }
        guard result == Z_STREAM_END else { throw ExtractionError("the DOCX archive is damaged") }
        return output
    }

    private static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    private static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
}
