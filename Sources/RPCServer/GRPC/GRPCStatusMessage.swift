/// Percent-encodes `grpc-message` values as the gRPC protocol requires: bytes outside
/// printable ASCII (0x20–0x7E) and `%` itself become `%XX` of their UTF-8 bytes.
package enum GRPCStatusMessage {
    /// Encodes a message for the `grpc-message` trailer.
    ///
    /// - Parameter message: The status message.
    /// - Returns: The percent-encoded text.
    package static func encode(_ message: String) -> String {
        var encoded = ""
        encoded.reserveCapacity(message.utf8.count)
        for byte in message.utf8 {
            if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%"
                encoded += Self.hexDigit(byte >> 4)
                encoded += Self.hexDigit(byte & 0x0F)
            }
        }
        return encoded
    }

    /// Decodes a `grpc-message` value; malformed escapes are kept as they are.
    ///
    /// - Parameter encoded: The header value.
    /// - Returns: The message.
    package static func decode(_ encoded: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(encoded.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let high = Self.hexValue(utf8[utf8.startIndex]),
                let low = Self.hexValue(utf8[utf8.startIndex + 1])
            {
                bytes.append(high << 4 | low)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ value: UInt8) -> String {
        String(UnicodeScalar(value < 10 ? value + 0x30 : value - 10 + 0x41))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
