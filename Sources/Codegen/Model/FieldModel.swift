/// One field of a message as the documentation generators see it.
package struct FieldModel: Sendable, Hashable {
    /// What a single value of the field is.
    package indirect enum ValueType: Sendable, Hashable {
        /// A scalar.
        case scalar(ScalarType)
        /// An enum, by fully qualified proto name.
        case enumeration(String)
        /// A message, by fully qualified proto name.
        case message(String)
        /// A well-known type with its own JSON form.
        case wellKnown(WellKnownType)
    }

    /// How many values the field holds.
    package enum Cardinality: Sendable, Hashable {
        /// One value (possibly unset).
        case singular
        /// A list.
        case repeated
        /// A map from keys of the given scalar type to values of ``FieldModel/valueType``.
        case map(key: ScalarType)
    }

    /// The proto field name, e.g. `tenant_id`.
    package var protoName: String
    /// The JSON name, e.g. `tenantId`.
    package var jsonName: String
    /// The documentation comment lines.
    package var documentation: [String]
    /// The type of one value (for maps, of one map value).
    package var valueType: ValueType
    /// Singular, repeated or map.
    package var cardinality: Cardinality
    /// The oneof the field belongs to, or `nil`.
    package var oneof: String?

    /// Creates a field.
    ///
    /// - Parameters:
    ///   - protoName: The proto field name.
    ///   - jsonName: The JSON name.
    ///   - documentation: The documentation lines.
    ///   - valueType: The type of one value.
    ///   - cardinality: Singular, repeated or map.
    ///   - oneof: The containing oneof's name, if any.
    package init(
        protoName: String,
        jsonName: String,
        documentation: [String] = [],
        valueType: ValueType,
        cardinality: Cardinality = .singular,
        oneof: String? = nil
    ) {
        self.protoName = protoName
        self.jsonName = jsonName
        self.documentation = documentation
        self.valueType = valueType
        self.cardinality = cardinality
        self.oneof = oneof
    }

    /// Whether the documentation marks the field as set by the server only (`Output only.`).
    package var isOutputOnly: Bool {
        self.documentation.first?.hasPrefix("Output only.") == true
    }

    /// Whether the documentation marks the field as accepted on input only (`Write-only.`).
    package var isWriteOnly: Bool {
        self.documentation.first?.hasPrefix("Write-only.") == true
    }
}
