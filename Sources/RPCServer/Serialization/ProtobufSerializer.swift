package import SwiftProtobuf

/// Encodes protobuf messages in the binary wire format.
package struct ProtobufSerializer<Message: SwiftProtobuf.Message>: MessageSerializer {
    /// Creates a serializer.
    @inlinable
    package init() {}

    @inlinable
    package func serialize(_ message: Message) throws -> [UInt8] {
        do {
            return try message.serializedBytes()
        } catch {
            throw RPCError(
                code: .internalError,
                message: "Could not encode \(Message.protoMessageName): a required field is missing."
            )
        }
    }
}

/// Decodes protobuf messages from the binary wire format.
package struct ProtobufDeserializer<Message: SwiftProtobuf.Message>: MessageDeserializer {
    /// Creates a deserializer.
    @inlinable
    package init() {}

    @inlinable
    package func deserialize(_ bytes: [UInt8]) throws -> Message {
        do {
            return try Message(serializedBytes: bytes)
        } catch {
            throw RPCError(
                code: .invalidArgument,
                message: "The message is not a valid \(Message.protoMessageName) in the protobuf wire format."
            )
        }
    }
}
