internal import SwiftProtobuf
package import SwiftProtobufPluginLibrary

/// Turns the message types a set of routes uses, and everything they reach, into a
/// ``TypeCatalog``.
///
/// Like ``DescriptorParser``, this is parsing: the catalog it returns holds no protoc types.
package struct TypeCatalogParser {
    /// Creates a parser.
    package init() {}

    /// Collects every message and enum reachable from the roots through their fields.
    ///
    /// - Parameter roots: The messages to start from (request and response types).
    /// - Returns: The catalog; well-known types and map entries are described inline by the
    ///   fields that use them and are not listed.
    package func catalog(reachableFrom roots: [Descriptor]) -> TypeCatalog {
        var messages: [MessageModel] = []
        var enums: [EnumModel] = []
        var seen: Set<String> = []
        var pending = roots
        while let descriptor = pending.popLast() {
            guard !descriptor.options.mapEntry, WellKnownType(protoName: descriptor.fullName) == nil,
                seen.insert(descriptor.fullName).inserted
            else { continue }
            messages.append(
                MessageModel(
                    fullName: descriptor.fullName,
                    documentation: DescriptorParser.documentation(descriptor.sourceCodeInfoLocation),
                    fields: descriptor.fields.map(Self.field)
                )
            )
            for field in descriptor.fields {
                if let message = field.messageType {
                    pending.append(message)
                }
                let valueField = field.messageType?.mapKeyAndValue?.value ?? field
                if let enumType = valueField.enumType, WellKnownType(protoName: enumType.fullName) == nil,
                    seen.insert(enumType.fullName).inserted
                {
                    enums.append(Self.enumeration(enumType))
                }
            }
        }
        return TypeCatalog(messages: messages, enums: enums)
    }

    private static func field(_ field: FieldDescriptor) -> FieldModel {
        let cardinality: FieldModel.Cardinality
        let valueField: FieldDescriptor
        if field.isMap, let entry = field.messageType?.mapKeyAndValue {
            cardinality = .map(key: Self.scalar(entry.key.type) ?? .string)
            valueField = entry.value
        } else {
            cardinality = field.isRepeated ? .repeated : .singular
            valueField = field
        }
        return FieldModel(
            protoName: field.name,
            jsonName: field.jsonName ?? Namer.protoJSONName(field.name),
            documentation: DescriptorParser.documentation(field.sourceCodeInfoLocation),
            valueType: Self.valueType(valueField),
            cardinality: cardinality,
            oneof: field.realContainingOneof?.name
        )
    }

    private static func valueType(_ field: FieldDescriptor) -> FieldModel.ValueType {
        switch field.type {
        case .message, .group:
            let name = field.messageType?.fullName ?? ""
            return WellKnownType(protoName: name).map(FieldModel.ValueType.wellKnown) ?? .message(name)
        case .enum:
            let name = field.enumType?.fullName ?? ""
            return WellKnownType(protoName: name).map(FieldModel.ValueType.wellKnown) ?? .enumeration(name)
        default:
            return .scalar(Self.scalar(field.type) ?? .string)
        }
    }

    private static func scalar(_ type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> ScalarType? {
        switch type {
        case .double: .double
        case .float: .float
        case .int32: .int32
        case .sint32: .sint32
        case .sfixed32: .sfixed32
        case .uint32: .uint32
        case .fixed32: .fixed32
        case .int64: .int64
        case .sint64: .sint64
        case .sfixed64: .sfixed64
        case .uint64: .uint64
        case .fixed64: .fixed64
        case .bool: .bool
        case .string: .string
        case .bytes: .bytes
        case .group, .message, .enum: nil
        }
    }

    private static func enumeration(_ descriptor: EnumDescriptor) -> EnumModel {
        EnumModel(
            fullName: descriptor.fullName,
            documentation: DescriptorParser.documentation(descriptor.sourceCodeInfoLocation),
            values: descriptor.values.map { value in
                EnumModel.Value(
                    name: value.name,
                    documentation: DescriptorParser.documentation(value.sourceCodeInfoLocation)
                )
            }
        )
    }
}
