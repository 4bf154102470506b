internal import NIOCore

/// Splits a gRPC request body into messages: each is a 1-byte compressed flag, a 4-byte
/// big-endian length, then that many bytes. A message may span DATA frames and a frame may hold
/// several messages.
package struct GRPCMessageDeframer {
    /// One decoded frame.
    package struct Message {
        /// Whether the compressed flag was set.
        package var compressed: Bool
        /// The payload, still compressed when `compressed` is set.
        package var bytes: [UInt8]
        /// The frame's size on the wire (prefix included), for flow-control accounting.
        package var wireBytes: Int
    }

    /// The largest payload accepted, in bytes.
    package let maxMessageBytes: Int
    private var buffer: ByteBuffer

    /// Creates a deframer.
    ///
    /// - Parameter maxMessageBytes: The largest payload accepted.
    package init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.buffer = ByteBuffer()
    }

    /// Whether bytes of an unfinished message are buffered.
    package var hasPartialMessage: Bool { self.buffer.readableBytes > 0 }

    /// Adds received body bytes.
    ///
    /// - Parameter bytes: Bytes from one DATA frame.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        self.buffer.writeBytes(bytes)
    }

    /// Splits received body bytes into messages, calling `body` with each complete one.
    ///
    /// Messages that arrive whole in `bytes` are copied out of it directly; only a message cut
    /// by the end of `bytes` is buffered until the rest arrives.
    ///
    /// - Parameters:
    ///   - bytes: Bytes from one DATA frame.
    ///   - body: Receives each complete message, in order.
    /// - Throws: As ``next()``, or what `body` throws.
    package mutating func process(_ bytes: UnsafeRawBufferPointer, _ body: (Message) throws -> Void) throws {
        guard self.buffer.readableBytes == 0 else {
            self.append(bytes)
            while let message = try self.next() {
                try body(message)
            }
            return
        }
        var offset = 0
        while bytes.count - offset >= 5 {
            let flag = bytes[offset]
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt32.self).bigEndian)
            try self.check(flag: flag, length: length)
            guard bytes.count - offset - 5 >= length else { break }
            let payload = Array(UnsafeRawBufferPointer(rebasing: bytes[(offset + 5)..<(offset + 5 + length)]))
            offset += 5 + length
            try body(Message(compressed: flag == 1, bytes: payload, wireBytes: 5 + length))
        }
        if offset < bytes.count {
            self.append(UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
    }

    private func check(flag: UInt8, length: Int) throws {
        guard flag <= 1 else {
            throw RPCError(code: .internalError, message: "Invalid gRPC message flag \(flag).")
        }
        guard length <= self.maxMessageBytes else {
            throw RPCError(
                code: .resourceExhausted,
                message: "Received message larger than max (\(length) vs. \(self.maxMessageBytes))"
            )
        }
    }

    /// The next complete message, if one is buffered.
    ///
    /// - Throws: ``RPCError`` with `resourceExhausted` when the announced length exceeds the
    ///   limit (checked from the prefix, before the payload is buffered), or `internalError`
    ///   for an unknown flag value.
    package mutating func next() throws -> Message? {
        guard self.buffer.readableBytes >= 5,
            let flag = self.buffer.getInteger(at: self.buffer.readerIndex, as: UInt8.self),
            let length = self.buffer.getInteger(at: self.buffer.readerIndex + 1, as: UInt32.self)
        else { return nil }
        try self.check(flag: flag, length: Int(length))
        guard self.buffer.readableBytes >= 5 + Int(length) else { return nil }
        self.buffer.moveReaderIndex(forwardBy: 5)
        let bytes = self.buffer.readBytes(length: Int(length)) ?? []
        if self.buffer.readableBytes == 0 {
            self.buffer.clear()
        }
        return Message(compressed: flag == 1, bytes: bytes, wireBytes: 5 + Int(length))
    }
}
