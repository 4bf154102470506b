internal import NIOCore

/// The response bytes of one stream that nghttp2 has not taken yet.
///
/// A unary call's whole response is one framed message: it waits here as the serialized
/// payload plus its 5-byte prefix and is copied straight into nghttp2's frame buffer, never
/// into an intermediate buffer. Anything queued behind it (more messages, plain HTTP body
/// bytes) goes into a `ByteBuffer`.
struct OutboundBody {
    /// The first queued message, kept as serialized, or empty.
    private var message: [UInt8] = []
    /// The prefix of ``message``: flag byte then big-endian length.
    private var prefix: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
    /// Bytes of prefix and message already taken; `nil` when no message waits whole.
    private var messageOffset: Int?
    /// Everything queued after the waiting message.
    private var buffer = ByteBuffer()

    /// Bytes queued.
    var readableBytes: Int {
        guard let messageOffset else { return self.buffer.readableBytes }
        return 5 + self.message.count - messageOffset + self.buffer.readableBytes
    }

    /// Queues one gRPC length-prefixed message.
    ///
    /// - Parameters:
    ///   - payload: The (possibly compressed) message bytes.
    ///   - compressed: Whether to set the compressed flag.
    mutating func appendMessage(_ payload: [UInt8], compressed: Bool) {
        guard self.messageOffset == nil, self.buffer.readableBytes == 0 else {
            GRPCMessageFramer.frame(payload, compressed: compressed, into: &self.buffer)
            return
        }
        let length = UInt32(truncatingIfNeeded: payload.count)
        self.prefix = (
            compressed ? 1 : 0, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)
        )
        self.message = payload
        self.messageOffset = 0
    }

    /// Queues bytes as they are (a plain HTTP body).
    ///
    /// - Parameter bytes: The bytes.
    mutating func appendRaw(_ bytes: [UInt8]) {
        self.buffer.writeBytes(bytes)
    }

    /// Moves up to `destination.count` queued bytes into `destination`.
    ///
    /// - Parameter destination: nghttp2's frame buffer.
    /// - Returns: How many bytes were moved.
    mutating func take(into destination: UnsafeMutableRawBufferPointer) -> Int {
        var written = 0
        if let offset = self.messageOffset {
            written = self.takeMessage(from: offset, into: destination)
        }
        return written
            + NGHTTP2Session.copyBody(
                from: &self.buffer, into: UnsafeMutableRawBufferPointer(rebasing: destination[written...]))
    }

    /// Copies what remains of the waiting message (prefix first) into `destination`.
    private mutating func takeMessage(from offset: Int, into destination: UnsafeMutableRawBufferPointer) -> Int {
        var offset = offset
        var written = 0
        if offset < 5 {
            let prefixCount = min(5 - offset, destination.count)
            withUnsafeBytes(of: self.prefix) { prefix in
                UnsafeMutableRawBufferPointer(rebasing: destination[0..<prefixCount])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: prefix[offset..<(offset + prefixCount)]))
            }
            offset += prefixCount
            written = prefixCount
        }
        let start = offset - 5
        let count = min(destination.count - written, self.message.count - max(0, start))
        if start >= 0, count > 0 {
            self.message.withUnsafeBytes { payload in
                UnsafeMutableRawBufferPointer(rebasing: destination[written..<(written + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: payload[start..<(start + count)]))
            }
            offset += count
            written += count
        }
        if offset == 5 + self.message.count {
            self.message = []
            self.messageOffset = nil
        } else {
            self.messageOffset = offset
        }
        return written
    }
}
