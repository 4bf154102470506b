internal import Storage

/// A five-field cron schedule in UTC (`RETENTION_CRON`): minute, hour, day of month, month and
/// day of week, each `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
/// those. Day of week runs 0–7 with both 0 and 7 Sunday. When both day fields are restricted, a
/// day matching either one matches (as in Vixie cron). Names (`MON`, `JAN`) and `@daily`-style
/// shortcuts are not read.
package struct CronSchedule: Sendable, Equatable, CustomStringConvertible {
    /// Why a schedule text was refused.
    package struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, naming the field.
        package var description: String
    }

    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let daysOfMonth: Set<Int>
    private let months: Set<Int>
    private let daysOfWeek: Set<Int>
    private let dayOfMonthRestricted: Bool
    private let dayOfWeekRestricted: Bool
    /// The text it was read from.
    package let description: String

    /// Reads a schedule.
    ///
    /// - Parameter text: Five fields separated by spaces, e.g. `0 3 * * *`.
    /// - Throws: ``Invalid`` naming the field and what is wrong; also when no minute of any year
    ///   matches (e.g. `0 0 31 2 *`).
    package init(_ text: String) throws(Invalid) {
        guard text.utf8.count <= 256 else { throw Invalid(description: "is longer than 256 characters") }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 5 else {
            throw Invalid(
                description: "must have 5 fields (minute hour day-of-month month day-of-week), not \(fields.count)")
        }
        self.minutes = try Self.field(fields[0], name: "minute", range: 0...59)
        self.hours = try Self.field(fields[1], name: "hour", range: 0...23)
        self.daysOfMonth = try Self.field(fields[2], name: "day-of-month", range: 1...31)
        self.months = try Self.field(fields[3], name: "month", range: 1...12)
        let weekdays = try Self.field(fields[4], name: "day-of-week", range: 0...7)
        self.daysOfWeek = Set(weekdays.map { $0 % 7 })
        self.dayOfMonthRestricted = fields[2] != "*"
        self.dayOfWeekRestricted = fields[4] != "*"
        self.description = fields.joined(separator: " ")
        guard self.next(after: 0) != nil else {
            throw Invalid(description: "matches no minute of any year")
        }
    }

    /// The first matching minute strictly after `seconds` (seconds since 1970, UTC), as seconds since
    /// 1970; `nil` when none comes within eight years (only for schedules no date can match).
    ///
    /// - Parameter seconds: A time.
    package func next(after seconds: Int64) -> Int64? {
        var minute = seconds / 60 + 1
        let limit = minute + 8 * 366 * 1440
        while minute < limit {
            let days = minute / 1440
            let (_, month, day) = PostgresTimestampText.civil(fromDaysSince1970: days)
            // 1970-01-01 was a Thursday (4).
            let weekday = Int((days % 7 + 4) % 7)
            guard self.months.contains(Int(month)), self.matchesDay(Int(day), weekday: weekday) else {
                minute = (days + 1) * 1440
                continue
            }
            let minuteOfDay = Int(minute % 1440)
            guard self.hours.contains(minuteOfDay / 60) else {
                minute = minute - Int64(minuteOfDay % 60) + 60
                continue
            }
            if self.minutes.contains(minuteOfDay % 60) { return minute * 60 }
            minute += 1
        }
        return nil
    }

    private func matchesDay(_ day: Int, weekday: Int) -> Bool {
        switch (self.dayOfMonthRestricted, self.dayOfWeekRestricted) {
        case (true, true): self.daysOfMonth.contains(day) || self.daysOfWeek.contains(weekday)
        case (true, false): self.daysOfMonth.contains(day)
        case (false, true): self.daysOfWeek.contains(weekday)
        case (false, false): true
        }
    }

    private static func field(_ text: Substring, name: String, range: ClosedRange<Int>) throws(Invalid) -> Set<Int> {
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            var step = 1
            if parts.count == 2 {
                guard let parsed = Self.number(parts[1]), parsed >= 1, parsed <= range.upperBound else {
                    throw Invalid(description: "\(name): '\(item)' has a step that is not 1–\(range.upperBound)")
                }
                step = parsed
            }
            let span: ClosedRange<Int>
            if parts[0] == "*" {
                span = range
            } else if let dash = parts[0].firstIndex(of: "-") {
                guard let low = Self.number(parts[0][..<dash]),
                    let high = Self.number(parts[0][parts[0].index(after: dash)...]),
                    range.contains(low), range.contains(high), low <= high
                else {
                    throw Invalid(
                        description: "\(name): '\(item)' is not a range within \(range.lowerBound)–\(range.upperBound)")
                }
                span = low...high
            } else {
                guard let value = Self.number(parts[0]), range.contains(value) else {
                    throw Invalid(
                        description: "\(name): '\(item)' is not a number within \(range.lowerBound)–\(range.upperBound)"
                    )
                }
                span = parts.count == 2 ? value...range.upperBound : value...value
            }
            values.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        return values
    }

    /// A decimal number of at most two digits.
    private static func number(_ text: Substring) -> Int? {
        guard (1...2).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
