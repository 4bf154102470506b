import Testing

@testable import RPCServer

@Suite("grpc-timeout parsing")
struct GRPCTimeoutTests {
    @Test(
        "Every unit converts to the right duration",
        arguments: [
            ("2H", Duration.seconds(7200)),
            ("3M", .seconds(180)),
            ("4S", .seconds(4)),
            ("5m", .milliseconds(5)),
            ("6u", .microseconds(6)),
            ("7n", .nanoseconds(7)),
        ]
    )
    func unitConversion(value: String, expected: Duration) {
        #expect(GRPCTimeout.parse(Substring(value)) == expected)
    }

    @Test("Eight digits are accepted")
    func eightDigits() {
        #expect(GRPCTimeout.parse("99999999H") == .seconds(99_999_999 * 3600))
        #expect(GRPCTimeout.parse("00000001S") == .seconds(1))
    }

    @Test(
        "Malformed values are rejected",
        arguments: [
            "",  // empty
            "S",  // no digits
            "100",  // no unit
            "123456789S",  // nine digits
            "-1S",  // negative
            "+1S",  // sign
            "1.5S",  // not an integer
            "abS",  // not digits
            " 1S",  // whitespace
            "1x",  // unknown unit
            "1h",  // units are case-sensitive
            "\u{FF11}S",  // a non-ASCII digit
        ]
    )
    func rejectsMalformed(value: String) {
        #expect(GRPCTimeout.parse(Substring(value)) == nil)
    }
}
