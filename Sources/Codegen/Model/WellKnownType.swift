/// A `google.protobuf` type with its own JSON representation.
package enum WellKnownType: Sendable, Hashable {
    /// `Timestamp`: an RFC 3339 string.
    case timestamp
    /// `Duration`: seconds with an `s` suffix, e.g. `"1.5s"`.
    case duration
    /// `FieldMask`: comma-separated lowerCamelCase paths.
    case fieldMask
    /// `Struct`: any JSON object.
    case `struct`
    /// `Value`: any JSON value.
    case value
    /// `ListValue`: any JSON array.
    case listValue
    /// `NullValue`: JSON `null`.
    case nullValue
    /// `Empty`: `{}`.
    case empty
    /// `Any`: an object with `@type`.
    case any
    /// `DoubleValue`, `StringValue` and the other wrappers: the wrapped scalar, or `null`.
    case wrapper(ScalarType)

    /// The type named by a fully qualified proto name, or `nil` for an ordinary type.
    ///
    /// - Parameter protoName: A name such as `google.protobuf.Timestamp`.
    package init?(protoName: String) {
        switch protoName {
        case "google.protobuf.Timestamp": self = .timestamp
        case "google.protobuf.Duration": self = .duration
        case "google.protobuf.FieldMask": self = .fieldMask
        case "google.protobuf.Struct": self = .struct
        case "google.protobuf.Value": self = .value
        case "google.protobuf.ListValue": self = .listValue
        case "google.protobuf.NullValue": self = .nullValue
        case "google.protobuf.Empty": self = .empty
        case "google.protobuf.Any": self = .any
        case "google.protobuf.DoubleValue": self = .wrapper(.double)
        case "google.protobuf.FloatValue": self = .wrapper(.float)
        case "google.protobuf.Int64Value": self = .wrapper(.int64)
        case "google.protobuf.UInt64Value": self = .wrapper(.uint64)
        case "google.protobuf.Int32Value": self = .wrapper(.int32)
        case "google.protobuf.UInt32Value": self = .wrapper(.uint32)
        case "google.protobuf.BoolValue": self = .wrapper(.bool)
        case "google.protobuf.StringValue": self = .wrapper(.string)
        case "google.protobuf.BytesValue": self = .wrapper(.bytes)
        default: return nil
        }
    }

    /// Whether a query parameter can carry the value: the JSON form is a single string or
    /// scalar (timestamps, durations, field masks, wrappers).
    package var isQueryable: Bool {
        switch self {
        case .timestamp, .duration, .fieldMask, .wrapper: true
        case .struct, .value, .listValue, .nullValue, .empty, .any: false
        }
    }
}
