import NIOCore
import NIOWebSocket
import Testing

@testable import RPCServer

@Suite("WebSocket frame reader")
struct WebSocketFrameReaderTests {
    private static let mask: WebSocketMaskingKey = [0x11, 0x22, 0x33, 0x44]

    /// A client frame: masked like a browser's unless told otherwise.
    private static func frame(
        _ opcode: WebSocketOpcode,
        _ payload: [UInt8],
        fin: Bool = true,
        masked: Bool = true,
        rsv1: Bool = false
    ) -> WebSocketFrame {
        var data = ByteBuffer(bytes: payload)
        if masked {
            data.webSocketMask(Self.mask)
        }
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, maskKey: masked ? Self.mask : nil, data: data)
    }

    private static func violation(
        _ frames: [WebSocketFrame],
        maxMessageBytes: Int = 1024
    ) -> WebSocketFrameReader.Violation? {
        var reader = WebSocketFrameReader(maxMessageBytes: maxMessageBytes)
        do {
            for frame in frames {
                _ = try reader.read(frame)
            }
            return nil
        } catch {
            return error
        }
    }

    @Test("An unfragmented text frame is delivered as text, unmasked")
    func singleText() throws {
        var reader = WebSocketFrameReader(maxMessageBytes: 1024)

        #expect(try reader.read(Self.frame(.text, Array("grüß".utf8))) == .deliver(.text("grüß")))
    }

    @Test("Fragments are joined, with control frames allowed between them")
    func fragmentsAreJoined() throws {
        var reader = WebSocketFrameReader(maxMessageBytes: 1024)

        #expect(try reader.read(Self.frame(.binary, [1, 2], fin: false)) == .none)
        #expect(try reader.read(Self.frame(.ping, [9])) == .replyPong(ByteBuffer(bytes: [9])))
        #expect(try reader.read(Self.frame(.continuation, [3], fin: false)) == .none)
        #expect(try reader.read(Self.frame(.continuation, [4])) == .deliver(.binary([1, 2, 3, 4])))
        #expect(try reader.read(Self.frame(.text, Array("next".utf8))) == .deliver(.text("next")))
    }

    @Test("A text message split inside a multi-byte character is joined before it is decoded")
    func textSplitInsideCharacter() throws {
        let bytes = Array("é".utf8)
        var reader = WebSocketFrameReader(maxMessageBytes: 1024)

        #expect(try reader.read(Self.frame(.text, [bytes[0]], fin: false)) == .none)
        #expect(try reader.read(Self.frame(.continuation, [bytes[1]])) == .deliver(.text("é")))
    }

    @Test("A message exactly at the limit passes; one byte more is 1009, also across fragments")
    func messageLimit() {
        let half = [UInt8](repeating: 0, count: 8)

        #expect(
            Self.violation(
                [Self.frame(.binary, half, fin: false), Self.frame(.continuation, half)], maxMessageBytes: 16) == nil)
        #expect(
            Self.violation(
                [Self.frame(.binary, half, fin: false), Self.frame(.continuation, half + [0])], maxMessageBytes: 16)?
                .code == .messageTooBig
        )
        #expect(Self.violation([Self.frame(.text, half + half + [0])], maxMessageBytes: 16)?.code == .messageTooBig)
    }

    @Test(
        "Protocol violations are 1002",
        arguments: [
            ("unmasked", [Self.frame(.text, [0x61], masked: false)]),
            ("reserved bit", [Self.frame(.text, [0x61], rsv1: true)]),
            ("continuation without a message", [Self.frame(.continuation, [0x61])]),
            (
                "new message inside a fragmented one",
                [Self.frame(.text, [0x61], fin: false), Self.frame(.text, [0x62])]
            ),
            ("fragmented ping", [Self.frame(.ping, [], fin: false)]),
            ("close with a one-byte payload", [Self.frame(.connectionClose, [0x03])]),
            ("close with code 1005", [Self.frame(.connectionClose, [0x03, 0xED])]),
            ("unknown opcode", [Self.frame(WebSocketOpcode(encodedWebSocketOpcode: 0x3) ?? .text, [])]),
        ])
    func protocolViolations(name: String, frames: [WebSocketFrame]) {
        #expect(Self.violation(frames)?.code == .protocolError, "\(name)")
    }

    @Test("Text or a close reason that is not UTF-8 is 1007")
    func invalidUTF8() {
        #expect(Self.violation([Self.frame(.text, [0xFF])])?.code == .invalidPayloadData)
        #expect(Self.violation([Self.frame(.connectionClose, [0x03, 0xE8, 0xC3])])?.code == .invalidPayloadData)
    }

    @Test("A close frame yields its code and reason, or no code when empty")
    func closeFrames() throws {
        var reader = WebSocketFrameReader(maxMessageBytes: 1024)

        #expect(try reader.read(Self.frame(.connectionClose, [])) == .peerClosed(code: nil, reason: ""))
        #expect(
            try reader.read(Self.frame(.connectionClose, [0x0F, 0xA0] + Array("bye".utf8)))
                == .peerClosed(code: WebSocketCloseCode(rawValue: 4000), reason: "bye")
        )
    }

    @Test("A pong's payload is reported")
    func pong() throws {
        var reader = WebSocketFrameReader(maxMessageBytes: 1024)

        #expect(try reader.read(Self.frame(.pong, [1, 2])) == .pongReceived(ByteBuffer(bytes: [1, 2])))
    }

    @Test("A close payload is the big-endian code and the reason cut to 123 bytes at a character boundary")
    func closePayload() {
        let reason = String(repeating: "a", count: 122) + "é"  // 124 bytes: é would be split
        let payload = WebSocketFrameReader.closePayload(
            code: .messageTooBig, reason: reason, allocator: ByteBufferAllocator())

        #expect(Array(payload.readableBytesView.prefix(2)) == [0x03, 0xF1])
        #expect(payload.readableBytes == 2 + 122)
    }
}
