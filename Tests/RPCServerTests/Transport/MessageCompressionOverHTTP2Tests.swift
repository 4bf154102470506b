import Testing

@testable import RPCServer

/// Handlers that report what they saw and compress as asked, over a real HTTP/2 socket.
///
/// Each request message is `[choice, size]`: `choice` 0, 1, 2 asks for
/// ``MessageCompression/automatic``, `.enabled`, `.disabled` for the answer, which is
/// `size * 256` bytes whose first byte is 1 when the request message arrived compressed.
@Suite("Per-message compression over HTTP/2")
struct MessageCompressionOverHTTP2Tests {
    private static let unaryPath = "/test.Compression/Unary"
    private static let streamPath = "/test.Compression/Stream"
    private static let acceptsGzip = [(name: "grpc-accept-encoding", value: "identity,gzip")]
    private static let sendsGzip = [(name: "grpc-encoding", value: "gzip")]

    private static func answer(_ request: [UInt8], context: ServerContext) -> [UInt8] {
        let choices: [MessageCompression] = [.automatic, .enabled, .disabled]
        context.response.messageCompression = choices[Int(request.first ?? 0) % choices.count]
        var answer = [UInt8](repeating: 0, count: max(1, Int(request.dropFirst().first ?? 0) * 256))
        answer[0] = context.requestMessageWasCompressed ? 1 : 0
        return answer
    }

    private static var router: RPCRouter {
        var router = RPCRouter()
        router.registerUnary(
            MethodDescriptor(service: "test.Compression", method: "Unary", kind: .unary),
            deserializer: RawBytes(),
            serializer: RawBytes()
        ) { request, context in
            Self.answer(request, context: context)
        }
        router.registerBidirectionalStreaming(
            MethodDescriptor(service: "test.Compression", method: "Stream", kind: .bidirectionalStreaming),
            deserializer: RawBytes(),
            serializer: RawBytes()
        ) { requests, responses, context in
            for try await request in requests {
                try await responses.write(Self.answer(request, context: context))
            }
        }
        return router
    }

    /// A length-prefixed message, gzip-compressed when asked.
    private static func frame(_ message: [UInt8], compressed: Bool = false) throws -> [UInt8] {
        let payload = compressed ? try Gzip.compress(message) : message
        let length = UInt32(payload.count)
        var framed: [UInt8] = [compressed ? 1 : 0]
        for shift: UInt32 in [24, 16, 8, 0] {
            framed.append(UInt8(truncatingIfNeeded: length >> shift))
        }
        return framed + payload
    }

    private static func call(
        _ path: String,
        headers: [(name: String, value: String)],
        body: [UInt8]
    ) async throws -> RawGRPCExchange.Response {
        try await RunningServer.with(router: Self.router, responder: NotFoundResponder()) { port in
            try await RawGRPCExchange.call(path: path, headers: headers, body: body, port: port)
        }
    }

    /// The one answer of a unary call: whether it was compressed, and its bytes.
    private static func unaryAnswer(
        choice: UInt8,
        size: UInt8,
        headers: [(name: String, value: String)] = Self.acceptsGzip,
        compressedRequest: Bool = false
    ) async throws -> (compressed: Bool, bytes: [UInt8]) {
        let response = try await Self.call(
            Self.unaryPath,
            headers: headers,
            body: try Self.frame([choice, size], compressed: compressedRequest)
        )
        #expect(response.status == "0", "\(response.headers) \(response.trailers)")
        let messages = response.messages
        try #require(messages.count == 1)
        let message = messages[0]
        let bytes = message.compressed ? try Gzip.decompress(message.payload, limit: 1 << 20) : message.payload
        return (message.compressed, bytes)
    }

    @Test("A unary handler's choice decides its answer's compressed flag, whatever the answer's size")
    func unaryChoiceDecidesTheFlag() async throws {
        let enabledSmall = try await Self.unaryAnswer(choice: 1, size: 0)
        #expect(enabledSmall.compressed && enabledSmall.bytes.count == 1)
        let disabledLarge = try await Self.unaryAnswer(choice: 2, size: 8)
        #expect(!disabledLarge.compressed && disabledLarge.bytes.count == 2048)
        let automaticLarge = try await Self.unaryAnswer(choice: 0, size: 8)
        #expect(automaticLarge.compressed && automaticLarge.bytes.count == 2048)
        let automaticSmall = try await Self.unaryAnswer(choice: 0, size: 2)
        #expect(!automaticSmall.compressed && automaticSmall.bytes.count == 512)
    }

    @Test("A client that does not accept gzip gets uncompressed answers even when the handler enables compression")
    func noGzipForClientsThatDoNotAcceptIt() async throws {
        let answer = try await Self.unaryAnswer(choice: 1, size: 8, headers: [])
        #expect(!answer.compressed && answer.bytes.count == 2048)
    }

    @Test("A unary handler sees whether its request message arrived compressed")
    func unaryHandlerSeesTheRequestFlag() async throws {
        let compressed = try await Self.unaryAnswer(
            choice: 2, size: 1, headers: Self.acceptsGzip + Self.sendsGzip, compressedRequest: true)
        #expect(compressed.bytes.first == 1)
        let declaredButPlain = try await Self.unaryAnswer(
            choice: 2, size: 1, headers: Self.acceptsGzip + Self.sendsGzip)
        #expect(declaredButPlain.bytes.first == 0)
        let plain = try await Self.unaryAnswer(choice: 2, size: 1)
        #expect(plain.bytes.first == 0)
    }

    @Test("A streaming handler sees each request message's own flag and compresses each answer as chosen for it")
    func streamingFlagsPerMessage() async throws {
        let body =
            try Self.frame([1, 1], compressed: true) + Self.frame([2, 8], compressed: false)
            + Self.frame([0, 8], compressed: true) + Self.frame([1, 0], compressed: false)
        let response = try await Self.call(Self.streamPath, headers: Self.acceptsGzip + Self.sendsGzip, body: body)
        #expect(response.status == "0", "\(response.headers) \(response.trailers)")
        let messages = response.messages
        #expect(messages.map(\.compressed) == [true, false, true, true])
        let answers = try messages.map { message in
            message.compressed ? try Gzip.decompress(message.payload, limit: 1 << 20) : message.payload
        }
        #expect(answers.map(\.count) == [256, 2048, 2048, 1])
        #expect(answers.map { $0.first ?? 9 } == [1, 0, 1, 0])
    }
}
