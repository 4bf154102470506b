package import FoundationEssentials

extension UUID {
    /// The canonical lower-case form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`: how PostgreSQL prints a
    /// `uuid` and how every API response shows an id.
    ///
    /// Written digit by digit (`uuidString.lowercased()` formats through `snprintf` and then
    /// copies the string again to lower it; a listing of 50 rows did that 150 times).
    package var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            withUnsafeBytes(of: self.uuid) { bytes in
                let digits: StaticString = "0123456789abcdef"
                let hex = digits.utf8Start
                var position = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        buffer[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    buffer[position] = hex[Int(byte >> 4)]
                    buffer[position + 1] = hex[Int(byte & 0x0f)]
                    position += 2
                }
                return position
            }
        }
    }

    /// Parses the canonical form in either case (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, 36
    /// bytes), as PostgreSQL prints a `uuid`.
    ///
    /// - Returns: `nil` for anything else.
    package init?(canonicalText bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == 36, bytes[8] == UInt8(ascii: "-"), bytes[13] == UInt8(ascii: "-"),
            bytes[18] == UInt8(ascii: "-"), bytes[23] == UInt8(ascii: "-")
        else { return nil }
        var value: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &value) { output -> Bool in
            var position = 0
            for index in 0..<16 {
                if position == 8 || position == 13 || position == 18 || position == 23 {
                    position += 1
                }
                guard let high = ASCIIHex.value(bytes[position]), let low = ASCIIHex.value(bytes[position + 1]) else {
                    return false
                }
                output[index] = high << 4 | low
                position += 2
            }
            return true
        }
        guard parsed else { return nil }
        self.init(uuid: value)
    }

    /// Parses the canonical form in either case from text, byte by byte: what every id a client
    /// sends is checked with.
    ///
    /// `UUID(uuidString:)` reads the groups with `sscanf` (about 1 µs a call, once the largest
    /// cost of logging an API call) and lets malformed ids through as some other UUID: a sign
    /// (`+1234567-…`), a `0x` prefix, a dash inside the last group. This refuses them.
    ///
    /// - Returns: `nil` for anything but the 36-character form.
    package init?(canonicalText text: some StringProtocol) {
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        let parsed =
            utf8.withContiguousStorageIfAvailable { UUID(canonicalText: $0) }
            ?? Array(utf8).withUnsafeBufferPointer { UUID(canonicalText: $0) }
        guard let parsed else { return nil }
        self = parsed
    }
}
