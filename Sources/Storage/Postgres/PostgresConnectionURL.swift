internal import FoundationEssentials

/// Splits a Prisma-style `schema=NAME` query parameter, which libpq rejects, off a connection URI.
enum PostgresConnectionURL {
    /// The URI without any `schema` parameter, and the schema it named.
    static func removingSchemaParameter(_ url: String) -> (url: String, schema: String?) {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
            let questionMark = url.firstIndex(of: "?")
        else { return (url, nil) }
        let base = url[..<questionMark]
        var kept: [Substring] = []
        var schema: String?
        for item in url[url.index(after: questionMark)...].split(separator: "&", omittingEmptySubsequences: true) {
            if item.hasPrefix("schema=") {
                let raw = String(item.dropFirst("schema=".count))
                schema = Self.percentDecoded(raw) ?? raw
            } else {
                kept.append(item)
            }
        }
        guard schema != nil else { return (url, nil) }
        return (kept.isEmpty ? String(base) : base + "?" + kept.joined(separator: "&"), schema)
    }

    /// `text` with `%XX` escapes decoded; `nil` when an escape is malformed or the result is not
    /// UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue)
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
