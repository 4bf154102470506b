internal import SwiftProtobuf

/// Every message and enum of a schema, read from serialized `FileDescriptorSet`s (the ones
/// `scripts/regenerate.sh` embeds for reflection), so the bridge can bind path and query
/// parameters and name the field a bad request got wrong.
package struct SchemaRegistry: Sendable {
    private var messages: [String: MessageSchema] = [:]
    private var enums: [String: [String]] = [:]
    private var enumNumbers: [String: [String: Int32]] = [:]

    /// Reads descriptor sets.
    ///
    /// - Parameter descriptorSets: Serialized `google.protobuf.FileDescriptorSet`s.
    /// - Throws: When a set cannot be decoded.
    package init(descriptorSets: [[UInt8]]) throws {
        for bytes in descriptorSets {
            let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: bytes)
            for file in set.file {
                let prefix = file.package.isEmpty ? "" : file.package + "."
                for message in file.messageType {
                    self.add(message, prefix: prefix)
                }
                for enumeration in file.enumType {
                    self.addEnum(enumeration, fullName: prefix + enumeration.name)
                }
            }
        }
    }

    private mutating func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
        let fullName = prefix + message.name
        let mapEntries = Set(message.nestedType.filter { $0.options.mapEntry }.map { fullName + "." + $0.name })
        let fields = message.field.map { field in
            let typeName = field.typeName.hasPrefix(".") ? String(field.typeName.dropFirst()) : field.typeName
            let oneofName: String? =
                field.hasOneofIndex && !field.proto3Optional && Int(field.oneofIndex) < message.oneofDecl.count
                ? message.oneofDecl[Int(field.oneofIndex)].name : nil
            return FieldSchema(
                number: Int(field.number),
                wireEncoding: Self.wireEncoding(of: field.type),
                name: field.name,
                jsonName: field.hasJsonName ? field.jsonName : Self.lowerCamel(field.name),
                kind: Self.kind(of: field.type, typeName: typeName),
                isRepeated: field.label == .repeated,
                isMap: mapEntries.contains(typeName),
                oneofName: oneofName
            )
        }
        self.messages[fullName] = MessageSchema(fullName: fullName, fields: fields)
        for nested in message.nestedType {
            self.add(nested, prefix: fullName + ".")
        }
        for enumeration in message.enumType {
            self.addEnum(enumeration, fullName: fullName + "." + enumeration.name)
        }
    }

    private mutating func addEnum(_ enumeration: Google_Protobuf_EnumDescriptorProto, fullName: String) {
        self.enums[fullName] = enumeration.value.map(\.name)
        self.enumNumbers[fullName] = Dictionary(
            enumeration.value.map { ($0.name, $0.number) },
            uniquingKeysWith: { first, _ in first }
        )
    }

    private static func wireEncoding(of type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> FieldSchema.WireEncoding
    {
        switch type {
        case .sint32, .sint64: .zigzag
        case .fixed32, .sfixed32, .float: .fixed32
        case .fixed64, .sfixed64, .double: .fixed64
        case .string, .bytes, .message, .group: .lengthDelimited
        default: .varint
        }
    }

    private static func kind(
        of type: Google_Protobuf_FieldDescriptorProto.TypeEnum,
        typeName: String
    ) -> FieldSchema.Kind {
        switch type {
        case .string: .string
        case .bytes: .bytes
        case .bool: .bool
        case .int32, .sint32, .sfixed32: .int32
        case .uint32, .fixed32: .uint32
        case .int64, .sint64, .sfixed64: .int64
        case .uint64, .fixed64: .uint64
        case .float: .float
        case .double: .double
        case .enum: .enumeration(typeName)
        case .message, .group: .message(typeName)
        }
    }

    private static func lowerCamel(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" {
                upperNext = true
            } else if upperNext {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// The message with this full name.
    ///
    /// - Parameter fullName: E.g. `metachat.v1.Tenant`.
    package func message(_ fullName: String) -> MessageSchema? {
        self.messages[fullName]
    }

    /// The number of an enum value.
    ///
    /// - Parameters:
    ///   - name: The value's name.
    ///   - enumName: The enum's full name.
    package func enumNumber(_ name: String, in enumName: String) -> Int32? {
        self.enumNumbers[enumName]?[name]
    }

    /// The value names of the enum with this full name.
    ///
    /// - Parameter fullName: E.g. `metachat.v1.ConversationStatus`.
    package func enumValues(_ fullName: String) -> [String]? {
        self.enums[fullName]
    }
}
