/// Builds example JSON values from the message model, for the request bodies of the API
/// reference's `curl` examples.
///
/// Examples are what a client could send: output-only fields are left out, only the first
/// member of each oneof is set, and nested messages stop at ``maximumDepth`` levels or where
/// a message would contain itself.
package struct ExampleValueGenerator {
    /// How many levels of nested message objects an example holds.
    package static let maximumDepth = 3

    private let types: TypeCatalog

    /// Creates the generator.
    ///
    /// - Parameter types: The messages and enums that fields refer to.
    package init(types: TypeCatalog) {
        self.types = types
    }

    /// An example object holding the given fields.
    ///
    /// - Parameter fields: The fields, e.g. those a `body: "*"` route carries.
    /// - Returns: The object.
    package func object(fields: [FieldModel]) -> JSONValue {
        self.object(fields: fields, depth: 1, visiting: [])
    }

    /// An example value of a field, e.g. the one a `body: "field"` route carries.
    ///
    /// - Parameter field: The field.
    /// - Returns: The value (`{}` for a message too deep to expand).
    package func value(of field: FieldModel) -> JSONValue {
        self.value(of: field, depth: 0, visiting: []) ?? [:]
    }

    private func object(fields: [FieldModel], depth: Int, visiting: Set<String>) -> JSONValue {
        var members: [JSONValue.Member] = []
        var setOneofs: Set<String> = []
        for field in fields where !field.isOutputOnly {
            if let oneof = field.oneof {
                guard setOneofs.insert(oneof).inserted else { continue }
            }
            if let value = self.value(of: field, depth: depth, visiting: visiting) {
                members.append(JSONValue.Member(field.jsonName, value))
            }
        }
        return .object(members)
    }

    private func value(of field: FieldModel, depth: Int, visiting: Set<String>) -> JSONValue? {
        guard let value = self.value(of: field.valueType, depth: depth, visiting: visiting) else { return nil }
        switch field.cardinality {
        case .singular: return value
        case .repeated: return [value]
        case .map(let key): return .object([JSONValue.Member(Self.mapKey(key), value)])
        }
    }

    private func value(of type: FieldModel.ValueType, depth: Int, visiting: Set<String>) -> JSONValue? {
        switch type {
        case .scalar(let scalar):
            return Self.scalar(scalar)
        case .enumeration(let name):
            let values = self.types.enums[name]?.values.map(\.name) ?? []
            return .string(values.first { !$0.hasSuffix("_UNSPECIFIED") } ?? values.first ?? "")
        case .message(let name):
            guard depth < Self.maximumDepth, !visiting.contains(name), let message = self.types.messages[name] else {
                return nil
            }
            return self.object(fields: message.fields, depth: depth + 1, visiting: visiting.union([name]))
        case .wellKnown(let wellKnown):
            return Self.wellKnown(wellKnown)
        }
    }

    /// The example of a scalar: `"string"`, `1`, `"1"` for 64-bit integers, `0.5`, `true`,
    /// base64 text for bytes.
    ///
    /// - Parameter scalar: The scalar type.
    /// - Returns: The example.
    package static func scalar(_ scalar: ScalarType) -> JSONValue {
        switch scalar {
        case .double, .float: .number(0.5)
        case .int32, .sint32, .sfixed32, .uint32, .fixed32: 1
        case .int64, .sint64, .sfixed64, .uint64, .fixed64: "1"
        case .bool: true
        case .string: "string"
        case .bytes: "aGVsbG8="
        }
    }

    private static func wellKnown(_ wellKnown: WellKnownType) -> JSONValue {
        switch wellKnown {
        case .timestamp: "2025-01-01T00:00:00Z"
        case .duration: "1.5s"
        case .fieldMask: ""
        case .struct, .value, .empty, .any: [:]
        case .listValue: []
        case .nullValue: .null
        case .wrapper(let scalar): Self.scalar(scalar)
        }
    }

    private static func mapKey(_ key: ScalarType) -> String {
        switch key {
        case .string: "key"
        case .bool: "true"
        default: "1"
        }
    }
}
