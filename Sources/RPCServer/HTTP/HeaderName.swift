/// Case-insensitive header-name comparison without allocating, for the per-request hot path.
package enum HeaderName {
    /// Whether `name` equals `lowercased` ignoring ASCII case.
    ///
    /// - Parameters:
    ///   - name: A header name as received.
    ///   - lowercased: A lower-case ASCII name, e.g. `content-type`.
    @inlinable
    package static func matches(_ name: String, _ lowercased: String) -> Bool {
        var candidate = name.utf8.makeIterator()
        var expected = lowercased.utf8.makeIterator()
        while true {
            switch (candidate.next(), expected.next()) {
            case (nil, nil):
                return true
            case (let byte?, let wanted?):
                let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                if folded != wanted { return false }
            default:
                return false
            }
        }
    }
}
