internal import NIOCore

/// Splits a gRPC request body into messages: each is a 1-byte compressed flag, a 4-byte
/// big-endian length, then that many bytes. A message may span DATA frames and a frame may hold
/// several messages.
struct GRPCMessageDeframer {
    /// One decoded frame.
    struct Message {
        /// Whether the compressed flag was set.
        var compressed: Bool
        /// The payload, still compressed when `compressed` is set.
        var bytes: [UInt8]
        /// The frame's size on the wire (prefix included), for flow-control accounting.
        var wireBytes: Int
    }

    /// The largest payload accepted, in bytes.
    let maxMessageBytes: Int
    private var buffer: ByteBuffer

    /// Creates a deframer.
    ///
    /// - Parameter maxMessageBytes: The largest payload accepted.
    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.buffer = ByteBuffer()
    }

    /// Whether bytes of an unfinished message are buffered.
    var hasPartialMessage: Bool { self.buffer.readableBytes > 0 }

    /// Adds received body bytes.
    ///
    /// - Parameter bytes: Bytes from one DATA frame.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        self.buffer.writeBytes(bytes)
    }

    /// The next complete message, if one is buffered.
    ///
    /// - Throws: ``RPCError`` with `resourceExhausted` when the announced length exceeds the
    ///   limit (checked from the prefix, before the payload is buffered), or `internalError`
    ///   for an unknown flag value.
    mutating func next() throws -> Message? {
        guard self.buffer.readableBytes >= 5,
            let flag = self.buffer.getInteger(at: self.buffer.readerIndex, as: UInt8.self),
            let length = self.buffer.getInteger(at: self.buffer.readerIndex + 1, as: UInt32.self)
        else { return nil }
        guard flag <= 1 else {
            throw RPCError(code: .internalError, message: "Invalid gRPC message flag \(flag).")
        }
        guard Int(length) <= self.maxMessageBytes else {
            throw RPCError(
                code: .resourceExhausted,
                message: "Received message larger than max (\(length) vs. \(self.maxMessageBytes))"
            )
        }
        guard self.buffer.readableBytes >= 5 + Int(length) else { return nil }
        self.buffer.moveReaderIndex(forwardBy: 5)
        let bytes = self.buffer.readBytes(length: Int(length)) ?? []
        if self.buffer.readableBytes == 0 {
            self.buffer.clear()
        }
        return Message(compressed: flag == 1, bytes: bytes, wireBytes: 5 + Int(length))
    }
}
