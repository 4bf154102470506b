internal import Synchronization

/// Where a caller keeps its rate-limit subject's ``RateLimitLeases/Entry`` once a limiter has
/// looked it up: set at most once, then read with one atomic load on every call.
///
/// (The standard library's `AtomicLazyReference` does the same, but with this toolchain its
/// `load` runs unspecialised generic code with a metadata lookup on every call.)
struct RememberedLeaseEntry: ~Copyable, Sendable {
    private let reference = Atomic<Unmanaged<RateLimitLeases.Entry>?>(nil)

    /// An empty slot.
    init() {}

    /// The remembered entry, if any.
    func load() -> RateLimitLeases.Entry? {
        self.reference.load(ordering: .acquiring)?.takeUnretainedValue()
    }

    /// Remembers `entry` unless an entry is remembered already.
    ///
    /// - Parameter entry: The entry to keep.
    func storeIfNil(_ entry: RateLimitLeases.Entry) {
        let retained = Unmanaged.passRetained(entry)
        let (exchanged, _) = self.reference.compareExchange(
            expected: nil, desired: retained, ordering: .acquiringAndReleasing)
        if !exchanged {
            retained.release()
        }
    }

    deinit {
        self.reference.load(ordering: .acquiring)?.release()
    }
}
