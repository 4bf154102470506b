import Foundation
import Testing

@testable import Storage

@Suite("PostgresTimestamp")
struct PostgresTimestampTests {
    @Test(
        "ISO text with any fraction and offset parses to the same instant",
        arguments: [
            ("2024-05-31 16:08:37.123456+00", 1_717_171_717.123456),
            ("2024-05-31 18:08:37.123456+02", 1_717_171_717.123456),
            ("2024-05-31 15:38:37.123456-00:30", 1_717_171_717.123456),
            ("1970-01-01 00:00:00+00", 0),
            ("1969-12-31 23:59:59.5+00", -0.5),
            ("2000-01-01 00:00:00", 946_684_800),
        ]
    )
    func parsesISOText(text: String, seconds: Double) throws {
        let date = try #require(PostgresTimestamp.parse(text))

        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test("infinity maps to the distant dates and malformed text to nil")
    func specialAndMalformed() {
        #expect(PostgresTimestamp.parse("infinity") == .distantFuture)
        #expect(PostgresTimestamp.parse("-infinity") == .distantPast)
        #expect(PostgresTimestamp.parse("2024-13-01 00:00:00+00") == nil)
        #expect(PostgresTimestamp.parse("yesterday") == nil)
        #expect(PostgresTimestamp.parse("2024-01-01 00:00:00+00 trailing") == nil)
    }
}
