/// Base64 for `-bin` metadata: encodes padded, decodes padded or unpadded input.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in Base64.alphabet.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// Encodes bytes with `=` padding.
    ///
    /// - Parameter bytes: The bytes.
    /// - Returns: The base64 text.
    package static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = bytes[index]
            let b1 = remaining > 1 ? bytes[index + 1] : 0
            let b2 = remaining > 2 ? bytes[index + 2] : 0
            output.append(Self.alphabet[Int(b0 >> 2)])
            output.append(Self.alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(remaining > 1 ? Self.alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(remaining > 2 ? Self.alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base64 with or without padding.
    ///
    /// - Parameter text: The base64 text.
    /// - Returns: The bytes, or `nil` when a character is outside the alphabet or the length is
    ///   impossible.
    package static func decode(_ text: String) -> [UInt8]? {
        var utf8 = Substring(text).utf8[...]
        var padding = 0
        while utf8.last == UInt8(ascii: "=") {
            utf8 = utf8.dropLast()
            padding += 1
        }
        guard padding <= 2 else { return nil }
        var values: [UInt8] = []
        values.reserveCapacity(utf8.count)
        for byte in utf8 {
            let value = Self.reverse[Int(byte)]
            guard value != 0xFF else { return nil }
            values.append(value)
        }
        guard values.count % 4 != 1, padding == 0 || (values.count + padding) % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            let c = Array(chunk) + [UInt8](repeating: 0, count: 4 - chunk.count)
            output.append(c[0] << 2 | c[1] >> 4)
            if chunk.count > 2 { output.append((c[1] & 0x0F) << 4 | c[2] >> 2) }
            if chunk.count > 3 { output.append((c[2] & 0x03) << 6 | c[3]) }
            index += 4
        }
        return output
    }
}
