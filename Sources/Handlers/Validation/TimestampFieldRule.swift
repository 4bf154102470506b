internal import FoundationEssentials
internal import SwiftProtobuf

/// The one rule for timestamps in requests: within what RFC 3339 (and the protobuf JSON mapping)
/// can write, years 0001 to 9999, with nanoseconds below one second.
enum TimestampFieldRule {
    /// The timestamp as a date.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `field` when it is out of range.
    static func date(_ timestamp: Google_Protobuf_Timestamp, _ field: String) throws -> Date {
        guard (-62_135_596_800...253_402_300_799).contains(timestamp.seconds),
            (0..<1_000_000_000).contains(timestamp.nanos)
        else {
            throw TenantFieldViolation.error(field, "must be a timestamp between years 0001 and 9999")
        }
        return timestamp.date
    }
}
