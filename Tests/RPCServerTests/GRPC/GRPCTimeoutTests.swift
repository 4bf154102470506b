import NIOCore
import PropertyBased
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

    @Test("Eight digits are accepted; timeouts over 24 hours are clamped to 24 hours")
    func eightDigits() {
        #expect(GRPCTimeout.parse("99999999H") == .seconds(24 * 3600))
        #expect(GRPCTimeout.parse("24H") == .seconds(24 * 3600))
        #expect(GRPCTimeout.parse("25H") == .seconds(24 * 3600))
        #expect(GRPCTimeout.parse("86400S") == .seconds(86400))
        #expect(GRPCTimeout.parse("86401S") == .seconds(24 * 3600))
        #expect(GRPCTimeout.parse("99999999n") == .nanoseconds(99_999_999))
        #expect(GRPCTimeout.parse("00000001S") == .seconds(1))
    }

    @Test(
        "Any well-formed value parses to at most 24 hours, exactly when shorter, and converts to a timer without trapping"
    )
    func anyValueIsBoundedAndConvertible() async {
        let units: [(Character, Int64)] = [
            ("H", 3_600_000_000_000), ("M", 60_000_000_000), ("S", 1_000_000_000),
            ("m", 1_000_000), ("u", 1_000), ("n", 1),
        ]
        await propertyCheck(count: 2000, input: Gen.int(in: 0...99_999_999), Gen.int(in: 0...5), Gen.int(in: 1...8)) {
            amount, unitIndex, width in
            let (unit, nanosecondsPerUnit) = units[unitIndex]
            let digits = String(amount)
            let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
            guard let parsed = GRPCTimeout.parse(Substring(padded + String(unit))) else {
                Issue.record("\(padded)\(unit) was refused")
                return
            }
            let exact = Int128(amount) * Int128(nanosecondsPerUnit)
            let expected = min(exact, Int128(24 * 3_600_000_000_000))
            #expect(parsed == .nanoseconds(Int64(expected)))
            #expect(TimeAmount(parsed).nanoseconds == Int64(expected))
        }
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
