internal import MetaChatAPI
internal import SwiftProtobuf

/// The JSON names of the fields of every MetaChat message, by message and field number, read once
/// from the descriptor set the server embeds, so a refused value is named as clients spell it.
struct RequestTextFieldNames: Sendable {
    /// One field's names.
    struct Field: Sendable {
        /// The name in the `.proto` file, e.g. `system_prompt`.
        var protoName: String
        /// The JSON name, e.g. `systemPrompt`.
        var jsonName: String
    }

    /// The names from MetaChat's descriptor set.
    static let metaChat = RequestTextFieldNames(descriptorSet: MetaChatDescriptorSet.bytes)

    private let fields: [String: [Int: Field]]

    /// Indexes the messages of a serialized `FileDescriptorSet`; an unreadable set gives no
    /// names (fields are then named by number).
    init(descriptorSet bytes: [UInt8]) {
        var fields: [String: [Int: Field]] = [:]
        guard let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: bytes) else {
            self.fields = [:]
            return
        }
        func index(_ message: Google_Protobuf_DescriptorProto, scope: String) {
            let fullName = scope.isEmpty ? message.name : scope + "." + message.name
            var byNumber: [Int: Field] = [:]
            for field in message.field {
                let jsonName = field.hasJsonName ? field.jsonName : field.name
                byNumber[Int(field.number)] = Field(protoName: field.name, jsonName: jsonName)
            }
            fields[fullName] = byNumber
            for nested in message.nestedType {
                index(nested, scope: fullName)
            }
        }
        for file in set.file {
            for message in file.messageType {
                index(message, scope: file.package)
            }
        }
        self.fields = fields
    }

    /// The names of field `number` of message `messageName` (a full name), if known.
    func field(_ number: Int, of messageName: String) -> Field? {
        self.fields[messageName]?[number]
    }
}
