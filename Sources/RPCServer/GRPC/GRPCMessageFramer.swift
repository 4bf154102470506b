internal import NIOCore

/// Writes gRPC length-prefixed messages.
enum GRPCMessageFramer {
    /// Appends one message frame to a buffer.
    ///
    /// - Parameters:
    ///   - payload: The (possibly compressed) message bytes.
    ///   - compressed: Whether to set the compressed flag.
    ///   - buffer: The buffer to append to.
    static func frame(_ payload: [UInt8], compressed: Bool, into buffer: inout ByteBuffer) {
        Self.frame(payload, flag: compressed ? 1 : 0, into: &buffer)
    }

    /// Appends one frame with any flag byte (gRPC-Web marks its trailer frame with `0x80`).
    ///
    /// - Parameters:
    ///   - payload: The frame's bytes.
    ///   - flag: The flag byte.
    ///   - buffer: The buffer to append to.
    static func frame(_ payload: [UInt8], flag: UInt8, into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: 5 + payload.count)
        buffer.writeInteger(flag, as: UInt8.self)
        buffer.writeInteger(UInt32(payload.count), as: UInt32.self)
        buffer.writeBytes(payload)
    }
}
