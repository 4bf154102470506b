internal import NIOCore
internal import NIOWebSocket

/// The inbound half of a WebSocket connection as a pure state machine: checks each client frame
/// against RFC 6455, joins fragmented messages and says what the connection must do. No I/O, so
/// every rule is testable without a socket.
///
/// Frame sizes and the control-frame rules (at most 125 bytes, never fragmented) are already
/// enforced by NIO's `WebSocketFrameDecoder`; they are checked again here so this type stands
/// on its own.
struct WebSocketFrameReader {
    /// What one frame asks of the connection.
    enum Action: Equatable {
        /// A fragment was buffered; nothing to do yet.
        case none
        /// A complete message for the handler.
        case deliver(WebSocketMessage)
        /// The client pinged: answer with a pong carrying this payload.
        case replyPong(ByteBuffer)
        /// The client answered a ping (or sent an unsolicited pong) with this payload.
        case pongReceived(ByteBuffer)
        /// The client sent a close frame, with a code or without one.
        case peerClosed(code: WebSocketCloseCode?, reason: String)
    }

    /// A frame that breaks the protocol or a limit: the connection fails with `code`.
    struct Violation: Error, Equatable {
        /// The close code to send.
        var code: WebSocketCloseCode
        /// The close reason to send (short, no client data in it).
        var reason: String
    }

    /// The largest close reason that fits a close frame: 125 bytes minus the 2-byte code.
    static let maxCloseReasonBytes = 123

    private let maxMessageBytes: Int
    /// The message being assembled from fragments: its opcode (text or binary) and bytes so far.
    private var partial: (opcode: WebSocketOpcode, bytes: ByteBuffer)?

    /// Creates a reader.
    ///
    /// - Parameter maxMessageBytes: The largest message accepted after joining fragments.
    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Reads one frame from the client.
    ///
    /// - Parameter frame: The frame as decoded (still masked).
    /// - Returns: What the connection must do.
    /// - Throws: ``Violation`` when the frame breaks the protocol (1002), carries text that is not
    ///   UTF-8 (1007) or makes a message too large (1009).
    mutating func read(_ frame: WebSocketFrame) throws(Violation) -> Action {
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            throw Violation(code: .protocolError, reason: "Reserved bits are set but no extension was negotiated.")
        }
        guard frame.maskKey != nil else {
            throw Violation(code: .protocolError, reason: "Client frames must be masked.")
        }
        switch frame.opcode {
        case .text, .binary:
            guard self.partial == nil else {
                throw Violation(code: .protocolError, reason: "A new message began before the previous one ended.")
            }
            try self.checkSize(adding: frame.length)
            if frame.fin {
                return .deliver(try Self.message(opcode: frame.opcode, bytes: frame.unmaskedData))
            }
            self.partial = (frame.opcode, frame.unmaskedData)
            return .none
        case .continuation:
            guard var partial = self.partial else {
                throw Violation(
                    code: .protocolError, reason: "A continuation frame arrived without a message to continue.")
            }
            try self.checkSize(adding: frame.length)
            var fragment = frame.unmaskedData
            partial.bytes.writeBuffer(&fragment)
            if frame.fin {
                self.partial = nil
                return .deliver(try Self.message(opcode: partial.opcode, bytes: partial.bytes))
            }
            self.partial = partial
            return .none
        case .ping, .pong, .connectionClose:
            guard frame.fin, frame.length <= 125 else {
                throw Violation(
                    code: .protocolError, reason: "Control frames must be unfragmented and at most 125 bytes.")
            }
            return try Self.control(opcode: frame.opcode, payload: frame.unmaskedData)
        default:
            throw Violation(code: .protocolError, reason: "Unknown opcode \(frame.opcode).")
        }
    }

    private func checkSize(adding bytes: Int) throws(Violation) {
        let total = (self.partial?.bytes.readableBytes ?? 0) + bytes
        guard total <= self.maxMessageBytes else {
            throw Violation(code: .messageTooBig, reason: "A message is larger than \(self.maxMessageBytes) bytes.")
        }
    }

    private static func message(opcode: WebSocketOpcode, bytes: ByteBuffer) throws(Violation) -> WebSocketMessage {
        guard opcode == .text else {
            return .binary(Array(bytes.readableBytesView))
        }
        guard let text = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw Violation(code: .invalidPayloadData, reason: "A text message is not valid UTF-8.")
        }
        return .text(text)
    }

    private static func control(opcode: WebSocketOpcode, payload: ByteBuffer) throws(Violation) -> Action {
        switch opcode {
        case .ping:
            return .replyPong(payload)
        case .pong:
            return .pongReceived(payload)
        default:
            var payload = payload
            guard payload.readableBytes != 0 else {
                return .peerClosed(code: nil, reason: "")
            }
            guard let rawCode = payload.readInteger(as: UInt16.self), let code = WebSocketCloseCode(rawValue: rawCode)
            else {
                throw Violation(code: .protocolError, reason: "The close frame carries an invalid status code.")
            }
            guard let reason = String(validating: payload.readableBytesView, as: UTF8.self) else {
                throw Violation(code: .invalidPayloadData, reason: "The close reason is not valid UTF-8.")
            }
            return .peerClosed(code: code, reason: reason)
        }
    }

    /// The payload of a close frame: the code, then the reason cut to
    /// ``maxCloseReasonBytes`` at a character boundary.
    ///
    /// - Parameters:
    ///   - code: The close code.
    ///   - reason: The reason.
    ///   - allocator: Allocates the buffer.
    /// - Returns: The payload.
    static func closePayload(code: WebSocketCloseCode, reason: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var utf8 = Array(reason.utf8)
        if utf8.count > Self.maxCloseReasonBytes {
            var end = Self.maxCloseReasonBytes
            // Step back over continuation bytes (10xxxxxx) so no scalar is split.
            while end > 0 && utf8[end] & 0xC0 == 0x80 {
                end -= 1
            }
            utf8 = Array(utf8[..<end])
        }
        var buffer = allocator.buffer(capacity: 2 + utf8.count)
        buffer.writeInteger(code.rawValue)
        buffer.writeBytes(utf8)
        return buffer
    }
}
