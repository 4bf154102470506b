internal import SwiftProtobuf

/// The well-known types whose JSON form is not an object of their fields.
enum WellKnownJSON {
    case wrapper(FieldSchema.Kind)
    case timestamp
    case duration
    case fieldMask
    case structure
    case value
    case list
    case empty
    case any

    init?(fullName: String) {
        switch fullName {
        case "google.protobuf.DoubleValue": self = .wrapper(.double)
        case "google.protobuf.FloatValue": self = .wrapper(.float)
        case "google.protobuf.Int64Value": self = .wrapper(.int64)
        case "google.protobuf.UInt64Value": self = .wrapper(.uint64)
        case "google.protobuf.Int32Value": self = .wrapper(.int32)
        case "google.protobuf.UInt32Value": self = .wrapper(.uint32)
        case "google.protobuf.BoolValue": self = .wrapper(.bool)
        case "google.protobuf.StringValue": self = .wrapper(.string)
        case "google.protobuf.BytesValue": self = .wrapper(.bytes)
        case "google.protobuf.Timestamp": self = .timestamp
        case "google.protobuf.Duration": self = .duration
        case "google.protobuf.FieldMask": self = .fieldMask
        case "google.protobuf.Struct": self = .structure
        case "google.protobuf.Value": self = .value
        case "google.protobuf.ListValue": self = .list
        case "google.protobuf.Empty": self = .empty
        case "google.protobuf.Any": self = .any
        default: return nil
        }
    }

    /// What the JSON must look like, for error messages.
    var expectation: String {
        switch self {
        case .timestamp: "an RFC 3339 timestamp string such as 2026-01-31T12:00:00Z"
        case .duration: "a duration string such as 1.5s"
        case .fieldMask: "a comma-separated field path string"
        default: "a value"
        }
    }

    /// Whether the quoted JSON string parses as this type.
    ///
    /// - Parameter json: The JSON text of the value.
    func accepts(_ json: String) -> Bool {
        switch self {
        case .timestamp: (try? Google_Protobuf_Timestamp(jsonString: json)) != nil
        case .duration: (try? Google_Protobuf_Duration(jsonString: json)) != nil
        case .fieldMask: (try? Google_Protobuf_FieldMask(jsonString: json)) != nil
        default: true
        }
    }
}
