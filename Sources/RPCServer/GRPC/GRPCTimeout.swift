/// Parses the `grpc-timeout` header: 1–8 ASCII digits and a unit (`H`, `M`, `S`, `m`, `u`, `n`).
package enum GRPCTimeout {
    /// The duration a header value announces.
    ///
    /// - Parameter value: The header value, e.g. `100m`.
    /// - Returns: The duration, or `nil` when the value is malformed.
    package static func parse(_ value: Substring) -> Duration? {
        guard let unit = value.last, (2...9).contains(value.count) else { return nil }
        let digits = value.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let amount = Int64(digits) else { return nil }
        switch unit {
        case "H": return .seconds(amount * 3600)
        case "M": return .seconds(amount * 60)
        case "S": return .seconds(amount)
        case "m": return .milliseconds(amount)
        case "u": return .microseconds(amount)
        case "n": return .nanoseconds(amount)
        default: return nil
        }
    }
}
