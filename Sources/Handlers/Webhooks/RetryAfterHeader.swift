/// Reads an HTTP `retry-after` value: delay-seconds (`120`) or an IMF-fixdate
/// (`Wed, 21 Oct 2015 07:28:00 GMT`), as RFC 9110 §10.2.3 defines them.
package enum RetryAfterHeader {
    /// The longest wait a header may ask for (a day); longer values are cut to it.
    package static let maximumSeconds: Int64 = 86_400

    /// The delay the header asks for, at most a day; `nil` when it does not parse.
    ///
    /// - Parameters:
    ///   - value: The header value.
    ///   - nowSeconds: The current Unix time, for a date.
    package static func delay(_ value: String, nowSeconds: Int64) -> Duration? {
        let trimmed = value.trimmingPrefix(while: { $0 == " " })
        if !trimmed.isEmpty, trimmed.utf8.count <= 10, trimmed.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
            let seconds = Int64(trimmed)
        {
            return .seconds(min(seconds, Self.maximumSeconds))
        }
        guard let date = Self.imfFixdate(String(trimmed)) else { return nil }
        return .seconds(min(Self.maximumSeconds, max(0, date - nowSeconds)))
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Unix seconds of `Sun, 06 Nov 1994 08:49:37 GMT`; `nil` for anything else.
    static func imfFixdate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
            let day = Int64(parts[1]), (1...31).contains(day),
            let monthIndex = Self.months.firstIndex(of: String(parts[2])),
            parts[3].utf8.count == 4, let year = Int64(parts[3]), (1970...9999).contains(year)
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard clock.count == 3, let hour = Int64(clock[0]), let minute = Int64(clock[1]), let second = Int64(clock[2]),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return Self.daysFromCivil(year: year, month: Int64(monthIndex + 1), day: day) * 86_400 + hour * 3600
            + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
