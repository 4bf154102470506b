internal import FoundationEssentials
internal import MetaChatAPI
internal import SwiftProtobuf

/// The time range of GetUsageStats: `end_time` (default now) back to `start_time` (default 30
/// days before the end), at most 366 days, start before end.
struct UsageRange: Sendable {
    /// Inclusive start.
    var start: Date
    /// Exclusive end.
    var end: Date

    /// The range of `request`.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `startTime` or `endTime`.
    init(_ request: Metachat_V1_GetUsageStatsRequest, now: Date = Date()) throws {
        for (field, timestamp, isSet) in [
            ("startTime", request.startTime, request.hasStartTime), ("endTime", request.endTime, request.hasEndTime),
        ] where isSet {
            // 0001-01-01 … 9999-12-31, as the JSON mapping allows.
            guard (-62_135_596_800...253_402_300_799).contains(timestamp.seconds),
                (0..<1_000_000_000).contains(timestamp.nanos)
            else {
                throw TenantFieldViolation.error(field, "must be a time between 0001-01-01 and 9999-12-31")
            }
        }
        let end = request.hasEndTime ? request.endTime.date : now
        let start = request.hasStartTime ? request.startTime.date : end.addingTimeInterval(-30 * 86_400)
        guard start < end else {
            throw TenantFieldViolation.error("startTime", "must be before endTime")
        }
        guard end.timeIntervalSince(start) <= 366 * 86_400 else {
            throw TenantFieldViolation.error("endTime", "must be at most 366 days after startTime")
        }
        self.start = start
        self.end = end
    }
}
