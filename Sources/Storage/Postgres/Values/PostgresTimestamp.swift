internal import FoundationEssentials

/// Conversions between `Date` and PostgreSQL's timestamp representations.
enum PostgresTimestamp {
    /// Seconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 00:00:00 UTC.
    static let epochOffset: Int64 = 946_684_800

    /// Microseconds since 2000-01-01 UTC, rounded, as the binary `timestamptz` format carries.
    static func microseconds(since2000 date: Date) -> Int64 {
        let micros = (date.timeIntervalSince1970 - Double(Self.epochOffset)) * 1_000_000
        return Int64(exactly: micros.rounded()) ?? (micros < 0 ? Int64.min : Int64.max)
    }

    /// Parses the ISO text form PostgreSQL prints with `DateStyle = ISO` and `TimeZone = UTC`:
    /// `2024-05-01 12:34:56.789012+00`, optionally with a `+hh:mm[:ss]` offset, a ` BC` suffix, or
    /// `infinity` / `-infinity` (mapped to `Date.distantFuture` / `Date.distantPast`). Text without
    /// an offset (`timestamp`) is read as UTC.
    ///
    /// - Returns: `nil` when the text does not have that shape.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" {
            return .distantFuture
        }
        if text == "-infinity" {
            return .distantPast
        }
        var scanner = ByteScanner(Array(text.utf8))
        guard let year = scanner.number(minDigits: 4, maxDigits: 7), scanner.take(UInt8(ascii: "-")),
            let month = scanner.number(minDigits: 2, maxDigits: 2), scanner.take(UInt8(ascii: "-")),
            let day = scanner.number(minDigits: 2, maxDigits: 2), scanner.take(UInt8(ascii: " ")),
            let hour = scanner.number(minDigits: 2, maxDigits: 2), scanner.take(UInt8(ascii: ":")),
            let minute = scanner.number(minDigits: 2, maxDigits: 2), scanner.take(UInt8(ascii: ":")),
            let second = scanner.number(minDigits: 2, maxDigits: 2)
        else { return nil }
        var micros: Int64 = 0
        if scanner.take(UInt8(ascii: ".")) {
            let start = scanner.position
            guard let fraction = scanner.number(minDigits: 1, maxDigits: 6) else { return nil }
            var scale: Int64 = 1
            for _ in 0..<(6 - (scanner.position - start)) {
                scale *= 10
            }
            micros = fraction * scale
        }
        var offsetSeconds: Int64 = 0
        if let sign = scanner.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            _ = scanner.take(sign)
            guard let hours = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
            var offset = hours * 3600
            if scanner.take(UInt8(ascii: ":")) {
                guard let minutes = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                offset += minutes * 60
                if scanner.take(UInt8(ascii: ":")) {
                    guard let seconds = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                    offset += seconds
                }
            }
            offsetSeconds = sign == UInt8(ascii: "+") ? offset : -offset
        }
        var astronomicalYear = year
        if scanner.takeSuffix(" BC") {
            astronomicalYear = 1 - year
        }
        guard scanner.isAtEnd, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        let days = Self.daysSince1970(year: astronomicalYear, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date (negative before it).
    static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// Reads ASCII digits and punctuation from UTF-8 bytes, front to back.
private struct ByteScanner {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { self.position == self.bytes.count }

    func peek() -> UInt8? {
        self.position < self.bytes.count ? self.bytes[self.position] : nil
    }

    mutating func take(_ byte: UInt8) -> Bool {
        guard self.peek() == byte else { return false }
        self.position += 1
        return true
    }

    mutating func takeSuffix(_ suffix: String) -> Bool {
        let expected = Array(suffix.utf8)
        guard self.bytes.count - self.position == expected.count,
            Array(self.bytes[self.position...]) == expected
        else { return false }
        self.position = self.bytes.count
        return true
    }

    mutating func number(minDigits: Int, maxDigits: Int) -> Int64? {
        var value: Int64 = 0
        var count = 0
        while count < maxDigits, let byte = self.peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            count += 1
            self.position += 1
        }
        return count >= minDigits ? value : nil
    }
}
