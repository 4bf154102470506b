import Foundation
import Handlers
import Testing

@Suite("CronSchedule")
struct CronScheduleTests {
    /// Seconds since 1970 of a UTC date and time.
    private static func at(_ text: String) throws -> Int64 {
        let formatter = ISO8601DateFormatter()
        return Int64(try #require(formatter.date(from: text)).timeIntervalSince1970)
    }

    @Test(
        "The next matching minute, strictly after the given time",
        arguments: [
            ("0 3 * * *", "2026-12-07T08:16:00Z", "2026-12-08T03:00:00Z"),
            ("0 3 * * *", "2026-12-07T02:59:59Z", "2026-12-07T03:00:00Z"),
            ("0 3 * * *", "2026-12-07T03:00:00Z", "2026-12-08T03:00:00Z"),
            ("*/15 * * * *", "2026-12-07T08:16:00Z", "2026-12-07T08:30:00Z"),
            ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
            ("30 9 * * 1-5", "2026-12-05T10:00:00Z", "2026-12-07T09:30:00Z"),
            ("0 0 * * 7", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00Z"),
            ("0 0 * * 0", "2026-12-07T00:00:00Z", "2026-12-13T00:00:00Z"),
            ("0 0 1 * 3", "2026-12-07T00:00:00Z", "2026-12-09T00:00:00Z"),
            ("5,10 4-6/2 * 12 *", "2026-12-31T06:10:00Z", "2027-12-01T04:05:00Z"),
            ("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
        ])
    func next(schedule: String, after: String, expected: String) throws {
        let cron = try CronSchedule(schedule)
        #expect(cron.next(after: try Self.at(after)) == (try Self.at(expected)))
    }

    @Test(
        "Bad schedules are refused, naming the field",
        arguments: [
            ("", "5 fields"), ("0 3 * *", "5 fields"), ("0 3 * * * *", "5 fields"), ("60 3 * * *", "minute"),
            ("0 24 * * *", "hour"), ("0 3 0 * *", "day-of-month"), ("0 3 32 * *", "day-of-month"),
            ("0 3 * 13 *", "month"), ("0 3 * * 8", "day-of-week"), ("5-3 * * * *", "minute"), ("*/0 * * * *", "minute"),
            ("*/61 * * * *", "minute"), ("a * * * *", "minute"), ("1,,2 * * * *", "minute"), ("-1 * * * *", "minute"),
            ("0 3 * * MON", "day-of-week"), ("0 3 * JAN *", "month"), ("999 * * * *", "minute"),
            ("0 0 31 2 *", "no minute"), ("0 0 30 2 *", "no minute"), ("1-2-3 * * * *", "minute"),
            (String(repeating: "1", count: 300), "256"),
        ])
    func refused(text: String, fragment: String) {
        #expect {
            _ = try CronSchedule(text)
        } throws: { error in
            "\(error)".contains(fragment)
        }
    }

    @Test("Every minute of a day is found by * * * * *, in order")
    func everyMinute() throws {
        let cron = try CronSchedule("* * * * *")
        var time = try Self.at("2026-12-07T00:00:00Z")
        for _ in 0..<1440 {
            let next = try #require(cron.next(after: time))
            #expect(next == time - time % 60 + 60)
            time = next
        }
    }
}
