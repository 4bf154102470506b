/// The ISO text PostgreSQL reads as a `timestamptz` in UTC, for values sent as text (`COPY`).
package enum PostgresTimestampText {
    /// `YYYY-MM-DD HH:MM:SS.ffffff+00` for microseconds since 1970-01-01 UTC (years 1970–9999).
    ///
    /// - Parameter micros: Microseconds since 1970-01-01 00:00:00 UTC.
    package static func utc(microsSince1970 micros: Int64) -> String {
        let clamped = min(max(micros, 0), 253_402_300_799_999_999)
        let (days, microOfDay) = clamped.quotientAndRemainder(dividingBy: 86_400_000_000)
        let (year, month, day) = Self.civil(fromDaysSince1970: days)
        let second = microOfDay / 1_000_000
        return Self.digits(year, 4) + "-" + Self.digits(month, 2) + "-" + Self.digits(day, 2) + " "
            + Self.digits(second / 3600, 2) + ":" + Self.digits(second / 60 % 60, 2) + ":"
            + Self.digits(second % 60, 2) + "." + Self.digits(microOfDay % 1_000_000, 6) + "+00"
    }

    /// The proleptic Gregorian date of a day count from 1970-01-01 (eras of 400 years, March-based
    /// years so the leap day ends the year).
    package static func civil(fromDaysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func digits(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
