/// Whether the response messages a handler writes are compressed.
///
/// gRPC marks compression on each message (the compressed flag of its 5-byte prefix), so a
/// handler may choose per message: set ``ResponseMetadata/messageCompression`` on
/// ``ServerContext/response`` before a `write` (or before returning a unary response), and the
/// choice holds for every message queued after it until changed.
///
/// ```swift
/// context.response.messageCompression = .enabled
/// try await response.write(first)   // gzip, when the client accepts it
/// context.response.messageCompression = .disabled
/// try await response.write(second)  // sent as is
/// ```
///
/// A message is only ever compressed for a client that listed `gzip` in
/// `grpc-accept-encoding`; for any other client every choice sends messages uncompressed.
package struct MessageCompression: Sendable, Hashable, CustomStringConvertible {
    /// The choices, stored in one byte so ``ResponseMetadata`` can hold one atomically.
    enum Choice: UInt8 {
        case automatic = 0
        case enabled = 1
        case disabled = 2
    }

    let choice: Choice

    init(_ choice: Choice) {
        self.choice = choice
    }

    /// The server decides (the default): a message is compressed when it is at least
    /// ``RPCServerConfiguration/RPCLimits/minCompressedResponseBytes`` long.
    package static let automatic = MessageCompression(.automatic)

    /// Every message is compressed, whatever its size.
    package static let enabled = MessageCompression(.enabled)

    /// No message is compressed, whatever its size.
    package static let disabled = MessageCompression(.disabled)

    /// Whether a message of `messageBytes` bytes is compressed for a client that accepts gzip.
    ///
    /// - Parameters:
    ///   - messageBytes: The serialized message's size.
    ///   - minimumBytes: The smallest message ``automatic`` compresses.
    /// - Returns: Whether to send the message gzip-compressed.
    func compresses(messageBytes: Int, minimumBytes: Int) -> Bool {
        switch self.choice {
        case .automatic: messageBytes >= minimumBytes
        case .enabled: true
        case .disabled: false
        }
    }

    package var description: String {
        switch self.choice {
        case .automatic: "automatic"
        case .enabled: "enabled"
        case .disabled: "disabled"
        }
    }
}
