/// Reads `grpc-accept-encoding`, a comma-separated list of encodings such as
/// `identity,deflate,gzip`.
package enum GRPCAcceptEncoding {
    /// Whether the list names `gzip` (spaces and tabs around names ignored). Scans the bytes in
    /// place, allocating nothing: stock clients send this header on every call.
    package static func listsGzip(_ value: String) -> Bool {
        let gzip: StaticString = "gzip"
        var matched = 0  // bytes of "gzip" matched in the current name; -1 once it cannot match
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: ","):
                if matched == gzip.utf8CodeUnitCount {
                    return true
                }
                matched = 0
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                continue
            default:
                if matched >= 0, matched < gzip.utf8CodeUnitCount, byte == gzip.utf8Start[matched] {
                    matched += 1
                } else {
                    matched = -1
                }
            }
        }
        return matched == gzip.utf8CodeUnitCount
    }
}
