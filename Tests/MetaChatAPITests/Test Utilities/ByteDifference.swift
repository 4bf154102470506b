/// Where two encodings first differ: a short failure message in place of two dumps of up to
/// 1.5 MiB each. `#expect(ByteDifference(a, b) == nil)` passes when the bytes are identical.
struct ByteDifference: Equatable, CustomStringConvertible {
    /// Index of the first byte that differs, or of the end of the shorter encoding.
    var offset: Int
    /// The byte of the first encoding at `offset`; nil past its end.
    var first: UInt8?
    /// The byte of the second encoding at `offset`; nil past its end.
    var second: UInt8?
    /// The lengths of both encodings.
    var counts: (first: Int, second: Int)

    /// The first difference between `first` and `second`, or nil when they are identical.
    init?(_ first: [UInt8], _ second: [UInt8]) {
        guard first != second else { return nil }
        let common = min(first.count, second.count)
        let offset = (0..<common).first { first[$0] != second[$0] } ?? common
        self.offset = offset
        self.first = offset < first.count ? first[offset] : nil
        self.second = offset < second.count ? second[offset] : nil
        self.counts = (first.count, second.count)
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.offset == rhs.offset && lhs.first == rhs.first && lhs.second == rhs.second && lhs.counts == rhs.counts
    }

    var description: String {
        func byte(_ value: UInt8?) -> String {
            value.map { "0x" + String($0, radix: 16, uppercase: true) } ?? "end"
        }
        return "\(self.counts.first) vs \(self.counts.second) bytes, first difference at offset \(self.offset): "
            + "\(byte(self.first)) vs \(byte(self.second))"
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array as a contiguous run.
    func containsRun(_ needle: [UInt8]) -> Bool {
        guard needle.count <= self.count else { return false }
        return (0...(self.count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
