internal import Glibc

/// A reading of `CLOCK_MONOTONIC_COARSE`: monotonic time as of the last timer tick, read without
/// the precise clock's timestamp-counter work, for deadlines seconds away that every call checks.
struct CoarseInstant: Comparable, Sendable {
    /// Nanoseconds since an arbitrary start.
    let nanoseconds: Int64

    /// The current reading.
    static var now: CoarseInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &spec)
        return CoarseInstant(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }

    /// How far a reading may lag the precise time: one timer tick.
    static var resolution: Duration {
        var spec = timespec()
        clock_getres(CLOCK_MONOTONIC_COARSE, &spec)
        return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
    }

    /// The last reading at which `duration` from now has certainly not passed yet: a reading
    /// earlier than the result means less than `duration` has gone by, however late the tick.
    ///
    /// - Parameter duration: The time from now; may be negative.
    static func deadline(after duration: Duration) -> CoarseInstant {
        let (seconds, attoseconds) = (duration - Self.resolution).components
        return CoarseInstant(
            nanoseconds: Self.now.nanoseconds + seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    static func < (lhs: CoarseInstant, rhs: CoarseInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}
