import Logging
import NIOCore
import NIOEmbedded
import RPCServer
import Synchronization
import Testing

@Suite("HTTP/2: streamed bodies nobody will read are released")
struct HTTP2StreamedBodyReleaseTests {
    /// Whether a body's producer was told that its reader has gone.
    final class Released: Sendable {
        private let value = Mutex(false)
        var happened: Bool { self.value.withLock { $0 } }
        func record() { self.value.withLock { $0 = true } }
    }

    /// Answers with a streamed body whose producer waits for a reader, as the REST gateway's
    /// event streams do; records when the body's reader ends early.
    struct StreamingResponder: HTTPResponder {
        let released: Released

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            let body = BoundedChunkStream(limit: 1)
            let released = self.released
            body.onTermination = { released.record() }
            var response = HTTPResponse(status: 200, headers: [("content-type", "application/x-ndjson")])
            response.bodyStream = RPCAsyncSequence(wrapping: body)
            return response
        }
    }

    private static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
            + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
    }

    /// Sends `frames` after the client preface in one read and runs the connection's loop.
    private static func exchange(_ frames: [UInt8], responder: some HTTPResponder) throws {
        let server = RPCServer(
            configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0, maxRequestBodyBytes: 1024),
            responder: responder,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try server.installConnectionHandlers(on: channel)
        _ = channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 50_000))
        let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        try channel.writeInbound(ByteBuffer(bytes: preface + frames))
        loop.run()
        _ = channel.close()
        loop.run()
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    /// SETTINGS, then `GET /` on stream 1 (HPACK: indexed :method GET, :scheme http, :path /,
    /// literal :authority "a"), ending the request.
    private static let request =
        Self.frame(type: 0x4, flags: 0, stream: 0)
        + Self.frame(type: 0x1, flags: 0x5, stream: 1, payload: [0x82, 0x86, 0x84, 0x41, 0x01, 0x61])

    @Test("The body of a response to a stream the client reset before the answer is released")
    func resetBeforeAnswer() throws {
        let released = Released()
        // RST_STREAM (CANCEL) in the same read: the stream closes before the responder answers.
        let reset = Self.frame(type: 0x3, flags: 0, stream: 1, payload: [0, 0, 0, 8])

        try Self.exchange(Self.request + reset, responder: StreamingResponder(released: released))

        #expect(released.happened)
    }

    @Test("The body of a response to a HEAD request is released, not left waiting")
    func headRequest() throws {
        let released = Released()
        // :method HEAD as a literal with the :method name index (2).
        let head =
            Self.frame(type: 0x4, flags: 0, stream: 0)
            + Self.frame(
                type: 0x1, flags: 0x5, stream: 1,
                payload: [0x42, 0x04] + Array("HEAD".utf8) + [0x86, 0x84, 0x41, 0x01, 0x61]
            )

        try Self.exchange(head, responder: StreamingResponder(released: released))

        #expect(released.happened)
    }
}
