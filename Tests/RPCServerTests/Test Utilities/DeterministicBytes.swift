/// Reproducible pseudo-random bytes for tests that need incompressible-looking data.
///
/// A 64-bit xorshift generator: the same seed always yields the same bytes, so failures can be
/// replayed.
struct DeterministicBytes {
    private var state: UInt64

    /// Creates a generator.
    ///
    /// - Parameter seed: Any non-zero value.
    init(seed: UInt64) {
        precondition(seed != 0, "xorshift needs a non-zero seed")
        self.state = seed
    }

    /// The next `count` bytes.
    ///
    /// - Parameter count: How many bytes to produce.
    mutating func next(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            self.state ^= self.state << 13
            self.state ^= self.state >> 7
            self.state ^= self.state << 17
            withUnsafeBytes(of: self.state.littleEndian) { word in
                bytes.append(contentsOf: word.prefix(count - bytes.count))
            }
        }
        return bytes
    }
}
