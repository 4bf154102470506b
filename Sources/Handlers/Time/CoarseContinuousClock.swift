/// Continuous-clock instants taken from the coarse clock (``CoarseInstant``): correct to within
/// one timer tick (4 ms on this kernel configuration, ``CoarseInstant/resolution``), and far
/// cheaper to read than `ContinuousClock.now` on every call.
///
/// For time checks that a tick either way does not change: whether a lease is still fresh,
/// whether a remembered refusal still stands. Anchored when created; both clocks are monotonic
/// and advance together while the machine runs.
struct CoarseContinuousClock: Sendable {
    /// The continuous-clock instant this clock counts from.
    let anchor: ContinuousClock.Instant
    private let coarseAnchor: CoarseInstant

    /// A clock anchored now.
    init() {
        self.coarseAnchor = .now
        self.anchor = .now
    }

    /// The current instant, to within one tick.
    var now: ContinuousClock.Instant {
        self.anchor + .nanoseconds(self.elapsedNanoseconds)
    }

    /// Nanoseconds from ``anchor`` to now, to within one tick: one integer subtraction.
    var elapsedNanoseconds: Int64 {
        CoarseInstant.now.nanoseconds - self.coarseAnchor.nanoseconds
    }
}
