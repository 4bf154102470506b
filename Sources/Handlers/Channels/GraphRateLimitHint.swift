internal import FoundationEssentials

/// How long the Graph API asks a caller to wait before its next call, read from the headers of a
/// throttled answer: `Retry-After` (seconds or a date, RFC 9110), else the largest
/// `estimated_time_to_regain_access` (minutes) of `X-Business-Use-Case-Usage`, the header Meta sends
/// with WhatsApp Cloud API and Pages throttling (`{"<business id>": [{"type": "whatsapp",
/// "call_count": 100, …, "estimated_time_to_regain_access": 15}]}`).
package enum GraphRateLimitHint {
    /// The longest wait a hint may ask for (a day, as for `retry-after`); longer ones are cut to it.
    package static let maximum: Duration = .seconds(RetryAfterHeader.maximumSeconds)

    /// The most bytes of `X-Business-Use-Case-Usage` read; a longer header is ignored.
    package static let maximumUsageBytes = 8192

    /// The wait the headers ask for, between zero and ``maximum``; `nil` when neither says.
    ///
    /// - Parameters:
    ///   - retryAfter: The `Retry-After` header, if any.
    ///   - businessUseCaseUsage: The `X-Business-Use-Case-Usage` header, if any.
    ///   - nowSeconds: The current Unix time, for a `Retry-After` date.
    package static func delay(retryAfter: String?, businessUseCaseUsage: String?, nowSeconds: Int64) -> Duration? {
        if let retryAfter, let delay = RetryAfterHeader.delay(retryAfter, nowSeconds: nowSeconds) {
            return delay
        }
        guard let usage = businessUseCaseUsage, !usage.isEmpty, usage.utf8.count <= Self.maximumUsageBytes,
            let entries = try? JSONDecoder().decode([String: [Entry]].self, from: Data(usage.utf8))
        else { return nil }
        let minutes = entries.values.joined().compactMap(\.estimatedTimeToRegainAccess).max()
        guard let minutes, minutes > 0 else { return nil }
        return min(.seconds(Int64(min(minutes, 1440)) * 60), Self.maximum)
    }

    /// One usage entry; only the wait is read.
    private struct Entry: Decodable {
        var estimatedTimeToRegainAccess: Int?

        enum CodingKeys: String, CodingKey {
            case estimatedTimeToRegainAccess = "estimated_time_to_regain_access"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // A value that is not a whole number (or out of Int's range) means no hint.
            self.estimatedTimeToRegainAccess = try? container.decodeIfPresent(
                Int.self, forKey: .estimatedTimeToRegainAccess)
        }
    }
}
