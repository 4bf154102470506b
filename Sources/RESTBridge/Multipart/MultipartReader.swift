#if canImport(Glibc)
    internal import Glibc
#endif

/// Reads a `multipart/form-data` body (RFC 7578, framed as RFC 2046 §5.1.1 says) while it
/// arrives, chunk by chunk, without holding more than one part's header block and a
/// delimiter's length of its content.
///
/// ```swift
/// var reader = try MultipartReader(boundary: MultipartReader.boundary(contentType: header))
/// for try await chunk in body {
///     for event in try reader.read(chunk) { ... }
/// }
/// try reader.finish()
/// ```
///
/// What a client controls is bounded: the preamble (``maximumPreambleBytes``), each part's
/// header block (``maximumHeaderBytes``) and the number of parts (``maximumParts``). Any framing
/// error throws ``MultipartError`` naming what is wrong; content bytes are never interpreted.
package struct MultipartReader {
    /// What the body held, in order.
    package enum Event: Equatable, Sendable {
        /// A part's header block ended; its content follows.
        case partBegan(MultipartPartHead)
        /// Content bytes of the current part (a part's content may come in many pieces).
        case content([UInt8])
        /// The current part's content ended.
        case partEnded
        /// The closing delimiter was read; what follows it is ignored.
        case finished
    }

    private enum State {
        /// Before the first delimiter.
        case preamble
        /// After a delimiter: `--` closes the body, CRLF (after optional padding) starts a part.
        case afterDelimiter
        /// Reading a part's header block.
        case headers
        /// Reading a part's content.
        case content
        /// After the closing delimiter.
        case epilogue
    }

    /// Bytes of preamble accepted before the first delimiter.
    package static let maximumPreambleBytes = 64 * 1024
    /// Bytes of one part's header block.
    package static let maximumHeaderBytes = 8 * 1024
    /// Parts in one body.
    package static let maximumParts = 64
    /// Spaces and tabs accepted after a delimiter, before its line ends.
    private static let maximumPaddingBytes = 64

    /// `CRLF--boundary`.
    private let delimiter: [UInt8]
    private var state = State.preamble
    /// Bytes read but not yet passed on: at most one header block, or the tail of content that
    /// may be the start of a delimiter.
    private var pending: [UInt8]
    private var preambleBytes = 0
    private var parts = 0

    /// Creates a reader.
    ///
    /// - Parameter boundary: The boundary parameter of the body's content type, validated by
    ///   ``boundary(contentType:)``.
    package init(boundary: String) {
        self.delimiter = Array("\r\n--\(boundary)".utf8)
        // The first delimiter may open the body without a line break before it.
        self.pending = [0x0D, 0x0A]
    }

    /// The boundary of a `multipart/form-data` content type.
    ///
    /// - Parameter contentType: The `content-type` header, or `nil` when there is none.
    /// - Returns: The boundary, 1 to 70 characters of RFC 2046's `bchars`, not ending in a space.
    /// - Throws: ``MultipartError`` when the type is another, or the boundary is missing or
    ///   malformed.
    package static func boundary(contentType: String?) throws(MultipartError) -> String {
        guard let contentType else {
            throw MultipartError("content-type must be multipart/form-data with a boundary; there is none")
        }
        let parameters = HeaderParameters(contentType)
        guard parameters.value.lowercased() == "multipart/form-data" else {
            throw MultipartError(
                "content-type must be multipart/form-data with a boundary, not \(parameters.value.prefix(100))")
        }
        guard let boundary = parameters["boundary"] else {
            throw MultipartError("content-type has no boundary parameter")
        }
        guard (1...70).contains(boundary.utf8.count), boundary.utf8.last != 0x20,
            boundary.utf8.allSatisfy(Self.isBoundaryCharacter)
        else {
            throw MultipartError(
                "content-type's boundary must be 1-70 characters of RFC 2046 (letters, digits, '()+_,-./:=? )")
        }
        return boundary
    }

    private static func isBoundaryCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            true
        default:
            Array("'()+_,-./:=? ".utf8).contains(byte)
        }
    }

    /// Reads the next bytes of the body.
    ///
    /// - Parameter chunk: The bytes, as they arrived.
    /// - Returns: What they completed, in order.
    /// - Throws: ``MultipartError`` on a framing error.
    package mutating func read(_ chunk: [UInt8]) throws(MultipartError) -> [Event] {
        if case .epilogue = self.state { return [] }
        self.pending += chunk
        var events: [Event] = []
        while try self.step(&events) {}
        return events
    }

    /// Checks that the body ended where it may: after its closing delimiter.
    ///
    /// - Throws: ``MultipartError`` when the body ended early.
    package func finish() throws(MultipartError) {
        switch self.state {
        case .epilogue:
            return
        case .preamble:
            throw MultipartError("the body has no multipart delimiter")
        case .content, .headers, .afterDelimiter:
            throw MultipartError("the body ended before the closing multipart delimiter")
        }
    }

    /// Advances by one state if the pending bytes allow it; `false` when more bytes are needed.
    private mutating func step(_ events: inout [Event]) throws(MultipartError) -> Bool {
        switch self.state {
        case .preamble:
            if let index = self.find(self.delimiter) {
                self.pending.removeSubrange(0..<(index + self.delimiter.count))
                self.state = .afterDelimiter
                return true
            }
            let keep = min(self.pending.count, self.delimiter.count - 1)
            self.preambleBytes += self.pending.count - keep
            guard self.preambleBytes <= Self.maximumPreambleBytes else {
                throw MultipartError(
                    "the body has no multipart delimiter in its first \(Self.maximumPreambleBytes) bytes")
            }
            self.pending.removeSubrange(0..<(self.pending.count - keep))
            return false
        case .afterDelimiter:
            return try self.readDelimiterEnd(&events)
        case .headers:
            return try self.readHeaders(&events)
        case .content:
            if let index = self.find(self.delimiter) {
                if index > 0 {
                    events.append(.content(Array(self.pending[0..<index])))
                }
                events.append(.partEnded)
                self.pending.removeSubrange(0..<(index + self.delimiter.count))
                self.state = .afterDelimiter
                return true
            }
            let keep = min(self.pending.count, self.delimiter.count - 1)
            if self.pending.count > keep {
                events.append(.content(Array(self.pending[0..<(self.pending.count - keep)])))
                self.pending.removeSubrange(0..<(self.pending.count - keep))
            }
            return false
        case .epilogue:
            self.pending.removeAll()
            return false
        }
    }

    /// After a delimiter: `--` closes the body; optional spaces or tabs and CRLF start a part.
    private mutating func readDelimiterEnd(_ events: inout [Event]) throws(MultipartError) -> Bool {
        guard self.pending.count >= 2 else { return false }
        if self.pending[0] == UInt8(ascii: "-"), self.pending[1] == UInt8(ascii: "-") {
            self.pending.removeAll()
            self.state = .epilogue
            events.append(.finished)
            return false
        }
        var index = 0
        while index < self.pending.count, self.pending[index] == 0x20 || self.pending[index] == 0x09 {
            index += 1
        }
        guard index <= Self.maximumPaddingBytes else {
            throw MultipartError("a multipart delimiter is followed by too much padding")
        }
        guard index + 1 < self.pending.count else { return false }
        guard self.pending[index] == 0x0D, self.pending[index + 1] == 0x0A else {
            throw MultipartError("a multipart delimiter must end its line (CRLF) or close the body (--)")
        }
        self.parts += 1
        guard self.parts <= Self.maximumParts else {
            throw MultipartError("the body has more than \(Self.maximumParts) parts")
        }
        self.pending.removeSubrange(0..<(index + 2))
        self.state = .headers
        return true
    }

    /// A part's header block, ending with an empty line.
    private mutating func readHeaders(_ events: inout [Event]) throws(MultipartError) -> Bool {
        let end: Int
        if self.pending.count >= 2, self.pending[0] == 0x0D, self.pending[1] == 0x0A {
            end = 0
        } else if let index = self.find([0x0D, 0x0A, 0x0D, 0x0A]) {
            end = index + 2
        } else {
            guard self.pending.count <= Self.maximumHeaderBytes else {
                throw MultipartError("a part's header block is larger than \(Self.maximumHeaderBytes) bytes")
            }
            return false
        }
        guard end <= Self.maximumHeaderBytes else {
            throw MultipartError("a part's header block is larger than \(Self.maximumHeaderBytes) bytes")
        }
        let head = try MultipartPartHead(headerBlock: self.pending[0..<end])
        self.pending.removeSubrange(0..<(end + 2))
        events.append(.partBegan(head))
        self.state = .content
        return true
    }

    /// The first index of `needle` in the pending bytes (`memchr` finds each candidate start).
    private func find(_ needle: [UInt8]) -> Int? {
        guard let first = needle.first, self.pending.count >= needle.count else { return nil }
        let last = self.pending.count - needle.count
        return self.pending.withUnsafeBufferPointer { haystack -> Int? in
            guard let base = haystack.baseAddress else { return nil }
            var index = 0
            while index <= last {
                guard let found = memchr(base + index, Int32(first), last - index + 1) else { return nil }
                index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] {
                    matched += 1
                }
                if matched == needle.count { return index }
                index += 1
            }
            return nil
        }
    }
}
