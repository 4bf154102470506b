/// Percent-decoding for path segments and query strings.
package enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as a space when `plusIsSpace`).
    ///
    /// - Parameters:
    ///   - text: The encoded text.
    ///   - keepingSlashes: Leave `%2F` encoded.
    ///   - plusIsSpace: Decode `+` as a space (query strings).
    /// - Returns: The decoded text, or `nil` for a bad escape or invalid UTF-8.
    package static func decode(_ text: String, keepingSlashes: Bool = false, plusIsSpace: Bool = false) -> String? {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return text
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue),
                    let low = iterator.next().flatMap(Self.hexValue)
                else {
                    return nil
                }
                let decoded = high << 4 | low
                if keepingSlashes && decoded == UInt8(ascii: "/") {
                    bytes.append(contentsOf: Array("%2F".utf8))
                } else {
                    bytes.append(decoded)
                }
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The value of one ASCII hex digit, or `nil`.
    ///
    /// - Parameter byte: The character.
    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
