/// A protobuf scalar field type, as the JSON mapping distinguishes them.
package enum ScalarType: String, Sendable, Hashable, CaseIterable {
    /// `double`: a JSON number.
    case double
    /// `float`: a JSON number.
    case float
    /// `int32`: a JSON number.
    case int32
    /// `sint32`: a JSON number.
    case sint32
    /// `sfixed32`: a JSON number.
    case sfixed32
    /// `uint32`: a non-negative JSON number.
    case uint32
    /// `fixed32`: a non-negative JSON number.
    case fixed32
    /// `int64`: a decimal string.
    case int64
    /// `sint64`: a decimal string.
    case sint64
    /// `sfixed64`: a decimal string.
    case sfixed64
    /// `uint64`: a non-negative decimal string.
    case uint64
    /// `fixed64`: a non-negative decimal string.
    case fixed64
    /// `bool`: `true` or `false`.
    case bool
    /// `string`: a JSON string.
    case string
    /// `bytes`: a base64 string.
    case bytes

    /// Whether the JSON mapping writes the value as a decimal string (the 64-bit integers).
    package var isSixtyFourBitInteger: Bool {
        switch self {
        case .int64, .sint64, .sfixed64, .uint64, .fixed64: true
        default: false
        }
    }

    /// Whether negative values are impossible (the unsigned integers).
    package var isUnsigned: Bool {
        switch self {
        case .uint32, .fixed32, .uint64, .fixed64: true
        default: false
        }
    }
}
