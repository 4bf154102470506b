/// Request ids: echoed when a client sends a sane one, generated otherwise.
enum RequestID {
    /// A client's id if it is 1–128 printable ASCII characters without spaces, else `nil`.
    ///
    /// - Parameter candidate: The `x-request-id` header value.
    static func validated(_ candidate: String) -> String? {
        guard (1...128).contains(candidate.utf8.count),
            candidate.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return candidate
    }

    /// A new random id: 32 lower-case hex digits (128 bits).
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return Self.hex(high) + Self.hex(low)
    }

    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
