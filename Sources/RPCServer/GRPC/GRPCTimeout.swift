/// Parses the `grpc-timeout` header: 1–8 ASCII digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
///
/// The header is client-controlled: `99999999H` is about 11,400 years, more nanoseconds than an
/// `Int64` holds. Every announced timeout is clamped to ``maximum`` (24 hours), so no later
/// conversion (to nanoseconds, to a timer) can overflow.
package enum GRPCTimeout {
    /// The longest deadline the server honours: longer timeouts are treated as 24 hours.
    package static let maximum = Duration.seconds(24 * 3600)

    /// The duration a header value announces, clamped to ``maximum``.
    ///
    /// - Parameter value: The header value, e.g. `100m`.
    /// - Returns: The duration, or `nil` when the value is malformed.
    package static func parse(_ value: Substring) -> Duration? {
        guard let unit = value.last, (2...9).contains(value.count) else { return nil }
        let digits = value.dropLast()
        // At most 8 digits, so the amount is below 10^8 and the products below cannot overflow.
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let amount = Int64(digits) else { return nil }
        let duration: Duration
        switch unit {
        case "H": duration = .seconds(amount * 3600)
        case "M": duration = .seconds(amount * 60)
        case "S": duration = .seconds(amount)
        case "m": duration = .milliseconds(amount)
        case "u": duration = .microseconds(amount)
        case "n": duration = .nanoseconds(amount)
        default: return nil
        }
        return min(duration, Self.maximum)
    }
}
