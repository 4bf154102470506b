internal import FoundationEssentials
internal import MetaChatAPI
internal import SwiftProtobuf

/// The rules of the webhook fields clients send; violations are `INVALID_ARGUMENT` naming the
/// field.
enum WebhookFieldRules {
    /// The longest grace period of a rotation: 7 days.
    static let maximumGraceSeconds: Int64 = 7 * 86_400

    /// A receiver URL: an absolute http(s) URL of at most 2048 characters without user info or
    /// fragment. Whether its scheme and address are allowed is the egress guard's to say.
    static func url(_ text: String, field: String = "url") throws -> String {
        guard !text.isEmpty else { throw TenantFieldViolation.error(field, "is required") }
        try TenantTextRules.checkHTTPURL(text, field: field, maximum: 2048)
        guard !text.contains("#") else {
            throw TenantFieldViolation.error(field, "must not have a fragment")
        }
        return text
    }

    /// Event types: known, not UNSPECIFIED, duplicates dropped (first occurrence kept).
    static func eventTypes(_ types: [Metachat_V1_WebhookEventType], field: String = "eventTypes") throws
        -> [Metachat_V1_WebhookEventType]
    {
        guard types.count <= 64 else { throw TenantFieldViolation.error(field, "must have at most 64 entries") }
        var kept: [Metachat_V1_WebhookEventType] = []
        for (index, type) in types.enumerated() {
            guard !type.wireName.isEmpty else {
                throw TenantFieldViolation.error(
                    "\(field)[\(index)]", "must be a known event type other than UNSPECIFIED")
            }
            if !kept.contains(type) { kept.append(type) }
        }
        return kept
    }

    /// A description: at most 500 characters on one line.
    static func description(_ text: String, field: String = "description") throws -> String {
        try TenantTextRules.check(text, field: field, maximum: 500)
        return text
    }

    /// A rotation's grace period in seconds: 0 to 7 days.
    static func graceSeconds(_ duration: Google_Protobuf_Duration?) throws -> Double {
        guard let duration else { return 0 }
        guard duration.seconds >= 0, duration.nanos >= 0, duration.nanos < 1_000_000_000,
            duration.seconds < Self.maximumGraceSeconds
                || (duration.seconds == Self.maximumGraceSeconds && duration.nanos == 0)
        else {
            throw TenantFieldViolation.error("gracePeriod", "must be between 0 and 7 days")
        }
        return Double(duration.seconds) + Double(duration.nanos) / 1e9
    }

    /// A page size: 0 (50) to 200.
    static func pageSize(_ size: Int32) throws -> Int {
        guard (0...200).contains(size) else {
            throw TenantFieldViolation.error("pageSize", "must be between 0 and 200")
        }
        return size == 0 ? 50 : Int(size)
    }
}
