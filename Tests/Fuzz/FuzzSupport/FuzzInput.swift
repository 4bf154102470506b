/// Reads a fuzz input as a few structured parts: selector bytes, then text split on a
/// separator. Running out of bytes gives zeros and empty parts, never a failure, so every input
/// means something.
package struct FuzzInput {
    private var bytes: ArraySlice<UInt8>

    /// Wraps libFuzzer's buffer.
    package init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        guard let data, size > 0 else {
            self.bytes = []
            return
        }
        self.bytes = Array(UnsafeBufferPointer(start: data, count: size))[...]
    }

    /// The bytes not read yet.
    package var rest: ArraySlice<UInt8> { self.bytes }

    /// Reads one byte (0 when none is left).
    package mutating func byte() -> UInt8 {
        self.bytes.popFirst() ?? 0
    }

    /// Reads up to the next `separator` (dropped) or to the end.
    package mutating func part(upTo separator: UInt8 = UInt8(ascii: "\n")) -> ArraySlice<UInt8> {
        guard let index = self.bytes.firstIndex(of: separator) else {
            defer { self.bytes = [] }
            return self.bytes
        }
        defer { self.bytes = self.bytes[(index + 1)...] }
        return self.bytes[..<index]
    }

    /// Reads up to the next separator as text (invalid UTF-8 repaired, as a server decoding
    /// header bytes does).
    package mutating func text(upTo separator: UInt8 = UInt8(ascii: "\n")) -> String {
        String(decoding: self.part(upTo: separator), as: UTF8.self)
    }
}
