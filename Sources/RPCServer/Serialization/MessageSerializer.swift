/// Turns a message into the bytes of one gRPC message frame.
package protocol MessageSerializer<Message>: Sendable {
    /// The message type.
    associatedtype Message

    /// Encodes a message.
    ///
    /// - Parameter message: The message.
    /// - Returns: Its wire bytes.
    func serialize(_ message: Message) throws -> [UInt8]
}

/// Turns the bytes of one gRPC message frame into a message.
package protocol MessageDeserializer<Message>: Sendable {
    /// The message type.
    associatedtype Message

    /// Decodes a message.
    ///
    /// - Parameter bytes: The wire bytes.
    /// - Returns: The message.
    /// - Throws: ``RPCError`` with `invalidArgument` (on a server) when the bytes are malformed.
    func deserialize(_ bytes: [UInt8]) throws -> Message
}
