import NIOCore
import NIOPosix

/// A deliberately small WebSocket client written against RFC 6455 byte by byte (independent of
/// NIO's WebSocket codec), so tests can send exactly the frames they need, including broken
/// ones, and see exactly what the server answers.
final class RawWebSocketClient {
    /// A frame the server sent.
    struct Frame: Equatable {
        /// Whether this is the last fragment.
        var fin: Bool
        /// The opcode: 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
        var opcode: UInt8
        /// Whether the server masked it (it must not).
        var masked: Bool
        /// The unmasked payload.
        var payload: [UInt8]

        /// The status code of a close frame, if it carries one.
        var closeCode: UInt16? {
            guard self.opcode == 8, self.payload.count >= 2 else { return nil }
            return UInt16(self.payload[0]) << 8 | UInt16(self.payload[1])
        }

        /// The reason of a close frame.
        var closeReason: String {
            String(decoding: self.payload.dropFirst(2), as: UTF8.self)
        }

        /// The payload as text.
        var text: String {
            String(decoding: self.payload, as: UTF8.self)
        }
    }

    /// The opcodes tests use.
    enum Opcode {
        static let continuation: UInt8 = 0
        static let text: UInt8 = 1
        static let binary: UInt8 = 2
        static let close: UInt8 = 8
        static let ping: UInt8 = 9
        static let pong: UInt8 = 10
    }

    /// The key from RFC 6455 §1.3, whose accept value the RFC gives.
    static let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="

    /// Forwards received bytes into a stream that finishes when the connection closes.
    private final class Forwarder: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer

        let continuation: AsyncStream<ByteBuffer>.Continuation

        init(continuation: AsyncStream<ByteBuffer>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.continuation.yield(self.unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    private let channel: any Channel
    private var incoming: AsyncStream<ByteBuffer>.AsyncIterator
    private var buffer = ByteBuffer()

    private init(channel: any Channel, incoming: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.incoming = incoming.makeAsyncIterator()
    }

    /// Connects to the server on 127.0.0.1.
    ///
    /// - Parameter port: The server's port.
    static func connect(port: Int) async throws -> RawWebSocketClient {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Forwarder(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawWebSocketClient(channel: channel, incoming: stream)
    }

    /// The text of an opening handshake.
    ///
    /// - Parameters:
    ///   - path: The request target.
    ///   - version: The `Sec-WebSocket-Version` value.
    ///   - extraHeaders: More header lines, each ending in CRLF.
    static func handshake(path: String, version: String = "13", extraHeaders: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(Self.sampleKey)\r\nSec-WebSocket-Version: \(version)\r\n\(extraHeaders)\r\n"
    }

    /// The bytes of one client frame.
    ///
    /// - Parameters:
    ///   - opcode: The opcode.
    ///   - payload: The payload.
    ///   - fin: Whether this is the last fragment.
    ///   - masked: Whether to mask (clients must).
    ///   - reservedBits: Bits 4–6 of the first byte (RSV1–3), normally zero.
    static func frame(
        opcode: UInt8,
        _ payload: [UInt8],
        fin: Bool = true,
        masked: Bool = true,
        reservedBits: UInt8 = 0
    ) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | (reservedBits << 4) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126:
            bytes.append(maskBit | UInt8(payload.count))
        case ..<65_536:
            bytes.append(maskBit | 126)
            bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default:
            bytes.append(maskBit | 127)
            bytes += (0..<8).reversed().map { UInt8((UInt64(payload.count) >> ($0 * 8)) & 0xFF) }
        }
        guard masked else { return bytes + payload }
        let key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        bytes += key
        bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        return bytes
    }

    /// The bytes of a client close frame with a code and a reason.
    static func closeFrame(code: UInt16, reason: String = "") -> [UInt8] {
        Self.frame(opcode: Opcode.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    /// Writes raw bytes.
    func send(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Writes raw text.
    func send(_ text: String) async throws {
        try await self.send(Array(text.utf8))
    }

    /// Reads the response head up to the blank line; the bytes after it stay for frames.
    ///
    /// - Returns: The head, or what arrived before the connection closed.
    func readResponseHead() async -> String {
        while true {
            let view = self.buffer.readableBytesView
            if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
                let length = end.upperBound - view.startIndex
                return self.buffer.readString(length: length) ?? ""
            }
            guard await self.fill() else {
                return self.buffer.readString(length: self.buffer.readableBytes) ?? ""
            }
        }
    }

    /// Reads everything until the server closes the connection.
    func readToEnd() async -> String {
        while await self.fill() {}
        return self.buffer.readString(length: self.buffer.readableBytes) ?? ""
    }

    /// The next frame from the server, or `nil` when the connection closed first.
    func nextFrame() async -> Frame? {
        while true {
            if let frame = self.parseFrame() {
                return frame
            }
            guard await self.fill() else { return nil }
        }
    }

    /// The frames still arriving until the server closes the connection.
    ///
    /// - Parameter answeringClose: Whether to answer the server's close frame with one of the
    ///   same code, as a real client completes the closing handshake.
    func framesUntilClosed(answeringClose: Bool = false) async -> [Frame] {
        var frames: [Frame] = []
        while let frame = await self.nextFrame() {
            frames.append(frame)
            if answeringClose, frame.opcode == Opcode.close {
                try? await self.send(Self.closeFrame(code: frame.closeCode ?? 1000))
            }
        }
        return frames
    }

    /// Closes the connection.
    func disconnect() async {
        try? await self.channel.close()
    }

    private func fill() async -> Bool {
        guard var chunk = await self.incoming.next(isolation: #isolation) else { return false }
        self.buffer.writeBuffer(&chunk)
        return true
    }

    private func parseFrame() -> Frame? {
        var peek = self.buffer
        guard let first = peek.readInteger(as: UInt8.self), let second = peek.readInteger(as: UInt8.self) else {
            return nil
        }
        var length = Int(second & 0x7F)
        if length == 126 {
            guard let word = peek.readInteger(as: UInt16.self) else { return nil }
            length = Int(word)
        } else if length == 127 {
            guard let quad = peek.readInteger(as: UInt64.self) else { return nil }
            length = Int(quad)
        }
        let masked = second & 0x80 != 0
        var key: [UInt8] = [0, 0, 0, 0]
        if masked {
            guard let bytes = peek.readBytes(length: 4) else { return nil }
            key = bytes
        }
        guard var payload = peek.readBytes(length: length) else { return nil }
        if masked {
            payload = payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        }
        self.buffer = peek
        return Frame(fin: first & 0x80 != 0, opcode: first & 0x0F, masked: masked, payload: payload)
    }
}
