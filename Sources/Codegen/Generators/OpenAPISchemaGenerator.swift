/// Builds the JSON Schemas (OpenAPI 3.1, JSON Schema 2020-12) of messages, enums and fields,
/// describing the protobuf JSON mapping exactly as the REST bridge reads and writes it.
///
/// - Property names are the lowerCamelCase JSON names.
/// - Responses carry every scalar, enum, list and map field even at its default value and
///   omit unset message fields, so nothing is `required`.
/// - 64-bit integers are decimal strings; enums are their value names; well-known types have
///   their own forms (RFC 3339 timestamps, `"1.5s"` durations, nullable wrappers, ...).
/// - Messages and enums are `$ref`s to `#/components/schemas/<full.proto.Name>`.
package struct OpenAPISchemaGenerator {
    /// The component name of the shared error shape.
    package static let errorSchemaName = "Error"

    private let types: TypeCatalog

    /// Creates the generator.
    ///
    /// - Parameter types: The messages and enums that fields refer to.
    package init(types: TypeCatalog) {
        self.types = types
    }

    /// The component name of a message or enum: its full proto name, with any character a
    /// component name may not hold replaced by `_` (proto names never have one).
    ///
    /// - Parameter protoName: A fully qualified proto name.
    /// - Returns: The name under `#/components/schemas/`.
    package static func componentName(_ protoName: String) -> String {
        String(
            protoName.map { character in
                character.isASCII && (character.isLetter || character.isNumber || "._-".contains(character))
                    ? character : "_"
            }
        )
    }

    /// A `$ref` to the component of a message or enum.
    ///
    /// - Parameter protoName: A fully qualified proto name.
    /// - Returns: `{"$ref": "#/components/schemas/<name>"}`.
    package static func reference(_ protoName: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/" + Self.componentName(protoName))]
    }

    /// The schema of a whole message used as a request or response: a `$ref` to its component,
    /// or the inline form of a well-known type (e.g. `{}` for `google.protobuf.Empty`).
    ///
    /// - Parameter protoName: The message's fully qualified proto name.
    /// - Returns: The schema.
    package static func messageReference(_ protoName: String) -> JSONValue {
        WellKnownType(protoName: protoName).map(Self.wellKnownSchema) ?? Self.reference(protoName)
    }

    /// A message's component schema: an object with one property per field.
    ///
    /// - Parameter message: The message.
    /// - Returns: The schema.
    package func messageSchema(_ message: MessageModel) -> JSONValue {
        self.objectSchema(documentation: message.documentation, fields: message.fields)
    }

    /// An object schema with the given fields as properties, e.g. the fields of a request that
    /// the path does not bind.
    ///
    /// - Parameters:
    ///   - documentation: Documentation lines for the object's description.
    ///   - fields: The fields.
    /// - Returns: The schema.
    package func objectSchema(documentation: [String], fields: [FieldModel]) -> JSONValue {
        var schema: JSONValue = ["type": "object"]
        if !documentation.isEmpty {
            schema = schema.setting("description", .string(DocumentationText.block(documentation)))
        }
        if !fields.isEmpty {
            schema = schema.setting(
                "properties",
                .object(fields.map { JSONValue.Member($0.jsonName, self.propertySchema($0)) })
            )
        }
        return schema
    }

    /// An enum's component schema: a string naming one value; the description lists what
    /// each value means.
    ///
    /// - Parameter enumeration: The enum.
    /// - Returns: The schema.
    package func enumSchema(_ enumeration: EnumModel) -> JSONValue {
        var description = enumeration.documentation
        if !description.isEmpty { description.append("") }
        for value in enumeration.values {
            let meaning = DocumentationText.inline(value.documentation)
            description.append(meaning.isEmpty ? "- `\(value.name)`" : "- `\(value.name)`: \(meaning)")
        }
        return [
            "type": "string",
            "description": .string(DocumentationText.block(description)),
            "enum": .array(enumeration.values.map { .string($0.name) }),
        ]
    }

    /// A field's schema as an object property: the value schema plus the field's description
    /// and `readOnly` (`Output only.`) or `writeOnly` (`Write-only.`).
    ///
    /// - Parameter field: The field.
    /// - Returns: The schema.
    package func propertySchema(_ field: FieldModel) -> JSONValue {
        var schema = self.fieldSchema(field)
        var description = field.documentation
        if let oneof = field.oneof {
            if !description.isEmpty { description.append("") }
            description.append("Member of the oneof `\(oneof)`: at most one of its members is set.")
        }
        if !description.isEmpty {
            schema = schema.setting("description", .string(DocumentationText.block(description)))
        }
        if field.isOutputOnly {
            schema = schema.setting("readOnly", true)
        } else if field.isWriteOnly {
            schema = schema.setting("writeOnly", true)
        }
        return schema
    }

    /// A field's schema: its value schema, as an array for lists and an object for maps.
    ///
    /// - Parameter field: The field.
    /// - Returns: The schema.
    package func fieldSchema(_ field: FieldModel) -> JSONValue {
        let value = self.valueSchema(field.valueType)
        switch field.cardinality {
        case .singular:
            return value
        case .repeated:
            return ["type": "array", "items": value]
        case .map(let key):
            var schema: JSONValue = ["type": "object", "additionalProperties": value]
            switch key {
            case .bool:
                schema = schema.setting("propertyNames", ["enum": ["true", "false"]])
            case .string:
                break
            default:
                schema = schema.setting("propertyNames", ["pattern": .string(Self.integerPattern(key))])
            }
            return schema
        }
    }

    /// A path or query parameter's schema: like the field's, but a wrapper is its plain scalar
    /// (a parameter cannot be `null`).
    ///
    /// - Parameter field: The field the parameter fills.
    /// - Returns: The schema.
    package func parameterSchema(_ field: FieldModel) -> JSONValue {
        if case .wellKnown(.wrapper(let scalar)) = field.valueType {
            let schema = Self.scalarSchema(scalar)
            return field.cardinality == .repeated ? ["type": "array", "items": schema] : schema
        }
        return self.fieldSchema(field)
    }

    /// The schema of one value of a type.
    ///
    /// - Parameter type: The value type.
    /// - Returns: The schema.
    package func valueSchema(_ type: FieldModel.ValueType) -> JSONValue {
        switch type {
        case .scalar(let scalar): Self.scalarSchema(scalar)
        case .enumeration(let name), .message(let name): Self.reference(name)
        case .wellKnown(let wellKnown): Self.wellKnownSchema(wellKnown)
        }
    }

    /// The schema of a scalar in the protobuf JSON mapping.
    ///
    /// - Parameter scalar: The scalar type.
    /// - Returns: The schema.
    package static func scalarSchema(_ scalar: ScalarType) -> JSONValue {
        switch scalar {
        case .double: ["type": "number", "format": "double"]
        case .float: ["type": "number", "format": "float"]
        case .int32, .sint32, .sfixed32:
            [
                "type": "integer", "format": "int32", "minimum": .integer(Int(Int32.min)),
                "maximum": .integer(Int(Int32.max)),
            ]
        case .uint32, .fixed32:
            ["type": "integer", "format": "uint32", "minimum": 0, "maximum": .integer(Int(UInt32.max))]
        case .int64, .sint64, .sfixed64:
            ["type": "string", "format": "int64", "pattern": .string(Self.integerPattern(scalar))]
        case .uint64, .fixed64:
            ["type": "string", "format": "uint64", "pattern": .string(Self.integerPattern(scalar))]
        case .bool: ["type": "boolean"]
        case .string: ["type": "string"]
        case .bytes: ["type": "string", "contentEncoding": "base64"]
        }
    }

    /// The schema of a well-known type in the protobuf JSON mapping.
    ///
    /// - Parameter wellKnown: The type.
    /// - Returns: The schema.
    package static func wellKnownSchema(_ wellKnown: WellKnownType) -> JSONValue {
        switch wellKnown {
        case .timestamp: ["type": "string", "format": "date-time"]
        case .duration: ["type": "string", "pattern": #"^-?[0-9]+(\.[0-9]{1,9})?s$"#, "examples": ["1.5s"]]
        case .fieldMask: ["type": "string"]
        case .struct, .empty, .any: ["type": "object"]
        case .value: [:]
        case .listValue: ["type": "array"]
        case .nullValue: ["type": "null"]
        case .wrapper(let scalar):
            Self.scalarSchema(scalar).setting("type", [Self.scalarSchema(scalar)["type"] ?? "string", "null"])
        }
    }

    /// The shared error shape every REST failure answers with:
    /// `{"error": {"code": 404, "status": "NOT_FOUND", "message": "...", "details": []}}`.
    package static var errorSchema: JSONValue {
        [
            "type": "object",
            "description": "The one shape of every REST error.",
            "properties": [
                "error": [
                    "type": "object",
                    "properties": [
                        "code": ["type": "integer", "description": "The HTTP status, mapped from the RPC status."],
                        "status": ["type": "string", "description": "The RPC status name, e.g. `NOT_FOUND`."],
                        "message": ["type": "string", "description": "What went wrong, in English."],
                        "details": [
                            "type": "array",
                            "description": "Machine-readable details; each names its shape in `@type`.",
                            "items": ["type": "object"],
                        ],
                    ],
                    "required": ["code", "status", "message", "details"],
                ]
            ],
            "required": ["error"],
        ]
    }

    private static func integerPattern(_ scalar: ScalarType) -> String {
        scalar.isUnsigned ? "^[0-9]+$" : "^-?[0-9]+$"
    }
}
