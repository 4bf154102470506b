internal import Synchronization

/// Makes request ids without a system call per request: a random 64-bit prefix chosen when the
/// generator is made, followed by a counter. Ids are unique within a process run and
/// practically unique across runs; they identify requests, they are not secrets.
final class RequestIDGenerator: Sendable {
    private let prefix: String
    private let counter = Atomic<UInt64>(0)

    /// Creates a generator with a fresh random prefix.
    init() {
        var random = SystemRandomNumberGenerator()
        self.prefix = RequestID.hex(random.next())
    }

    /// The next id: 32 lower-case hex digits.
    func next() -> String {
        let (count, _) = self.counter.wrappingAdd(1, ordering: .relaxed)
        return self.prefix + RequestID.hex(count)
    }
}
