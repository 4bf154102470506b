import NIOCore
import PropertyBased
import Testing

@Suite("Duration to TimeAmount (every timer the server schedules from a client-controlled duration)")
struct DurationSaturationTests {
    /// The exact nanoseconds of a duration, clamped to the `Int64` range.
    private static func expectedNanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let exact = Int128(seconds) * 1_000_000_000 + Int128(attoseconds / 1_000_000_000)
        return Int64(clamping: exact)
    }

    @Test(
        "Extreme durations saturate instead of trapping",
        arguments: [
            Duration.seconds(Int64.max), .seconds(9_223_372_037), .seconds(9_223_372_036), .nanoseconds(Int64.max),
            .zero,
            .seconds(99_999_999 * 3600),
        ]
    )
    func extremes(duration: Duration) {
        #expect(TimeAmount(duration).nanoseconds == Self.expectedNanoseconds(duration))
    }

    /// Durations from client input are never negative (a timeout is digits and a unit).
    @Test("Any non-negative duration converts to its nanoseconds, clamped to Int64.max")
    func anyDuration() async {
        await propertyCheck(count: 2000, input: Gen.int64(in: 0 ... .max), Gen.int64(in: 0...999_999_999)) {
            seconds, nanoseconds in
            let duration = Duration.seconds(seconds) + .nanoseconds(nanoseconds)
            #expect(TimeAmount(duration).nanoseconds == Self.expectedNanoseconds(duration))
        }
    }
}
