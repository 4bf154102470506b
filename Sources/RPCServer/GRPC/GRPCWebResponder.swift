internal import NIOCore

/// Serves gRPC-Web (`application/grpc-web`, `+proto`, and the base64 `-text` variants) from
/// the RPC router on plain HTTP requests of either protocol, and hands every other request to
/// the next responder.
///
/// The response is HTTP 200 with initial metadata as headers, each response message as a
/// length-prefixed frame, and the status and trailing metadata as a final frame whose flag byte
/// is `0x80`, as the gRPC-Web protocol specifies; server streams are sent as they are produced.
package struct GRPCWebResponder: HTTPResponder {
    private let router: RPCRouter
    private let maxMessageBytes: Int
    private let maxBufferedBytes: Int
    private let next: any HTTPResponder
    private let clientAddresses: ClientAddressResolver
    private let metrics: any RPCServerMetrics

    /// Creates the responder.
    ///
    /// - Parameters:
    ///   - router: The gRPC methods.
    ///   - interceptors: Run around every call they apply to, in order.
    ///   - maxMessageBytes: The largest request message accepted.
    ///   - maxBufferedBytes: Response bytes that may wait for a slow client before the
    ///     handler's writes wait.
    ///   - clientAddresses: Finds each call's client from its peer and trusted proxies' headers.
    ///   - metrics: Receives every finished call, with the face ``CallTransport/grpcWeb``.
    ///   - next: Answers requests that are not gRPC-Web.
    package init(
        router: RPCRouter,
        interceptors: [any ServerInterceptor],
        maxMessageBytes: Int,
        maxBufferedBytes: Int = 256 * 1024,
        clientAddresses: ClientAddressResolver = ClientAddressResolver(),
        metrics: any RPCServerMetrics = NoMetrics(),
        next: any HTTPResponder
    ) {
        self.clientAddresses = clientAddresses
        self.metrics = metrics
        self.router = router.intercepted(by: interceptors)
        self.maxMessageBytes = maxMessageBytes
        self.maxBufferedBytes = maxBufferedBytes
        self.next = next
    }

    /// Whether a content type is a gRPC-Web one.
    ///
    /// - Parameter contentType: The `content-type` header value.
    package static func isGRPCWeb(_ contentType: String) -> Bool {
        contentType.hasPrefix("application/grpc-web")
    }

    package func respond(to request: HTTPRequest) async -> HTTPResponse {
        guard let contentType = request.header("content-type"), Self.isGRPCWeb(contentType) else {
            return await self.next.respond(to: request)
        }
        let started = ContinuousClock.now
        let isText = contentType.hasPrefix("application/grpc-web-text")
        let responseType = isText ? "application/grpc-web-text+proto" : "application/grpc-web+proto"
        guard request.method == "POST" else {
            return self.refuse(
                RPCError(code: .unimplemented, message: "gRPC-Web calls use POST."),
                path: RPCServerMetricsLabel.unknownMethod, since: started, responseType)
        }
        guard let handler = self.router.handler(forPath: request.path) else {
            return self.refuse(
                RPCError(code: .unimplemented, message: "Method not found: \(request.path)"),
                path: RPCServerMetricsLabel.unknownMethod, since: started, responseType)
        }
        let path = String(request.path)
        let messages: [[UInt8]]
        do {
            messages = try self.requestMessages(request.body, isText: isText)
        } catch {
            return self.refuse(RPCError.from(error), path: path, since: started, responseType)
        }
        var deadline: ContinuousClock.Instant?
        if let timeout = request.header("grpc-timeout").flatMap({ GRPCTimeout.parse(Substring($0)) }) {
            deadline = ContinuousClock.now.advanced(by: timeout)
        }
        let metadata = GRPCMetadataCodec.metadata(from: request.headers.map { ($0.name.lowercased(), $0.value) })
        let context = ServerContext(
            descriptor: handler.descriptor,
            requestMetadata: metadata,
            peer: request.peer,
            clientAddress: self.clientAddresses.origin(peer: request.peerAddress, headers: request.headers).client,
            deadline: deadline,
            requestID: metadata.firstString(forKey: "x-request-id") ?? "",
            transport: .grpcWeb
        )
        return await self.run(
            handler, messages: messages, context: context, isText: isText, responseType: responseType,
            report: GRPCWebCallReport(metrics: self.metrics, path: path, started: started))
    }

    /// Answers a call refused before its handler ran, and counts it.
    private func refuse(
        _ error: RPCError, path: String, since started: ContinuousClock.Instant, _ responseType: String
    ) -> HTTPResponse {
        GRPCWebCallReport(metrics: self.metrics, path: path, started: started).finished(error)
        return Self.trailersOnly(error, responseType)
    }

    package func maxBodyBytes(method: String, target: String) -> Int? {
        self.next.maxBodyBytes(method: method, target: target)
    }

    package func streamsRequestBody(method: String, target: String) -> Bool {
        self.next.streamsRequestBody(method: method, target: target)
    }

    private func run(
        _ handler: RPCMethodHandler,
        messages: [[UInt8]],
        context: ServerContext,
        isText: Bool,
        responseType: String,
        report: GRPCWebCallReport
    ) async -> HTTPResponse {
        let body = BoundedChunkStream(limit: self.maxBufferedBytes)
        let interceptors = handler.interceptors
        let encode = TextEncoding(base64: isText)
        let task = Task {
            var failure: RPCError?
            do {
                try await interceptors.run(context: context) { context in
                    try await handler.handle(
                        requests: .elements(messages),
                        responses: RPCWriter { message in
                            try Task.checkCancellation()
                            try await body.write(encode.apply(Self.frame(message, flag: 0)))
                        },
                        context: context
                    )
                }
            } catch {
                failure = RPCError.from(error)
            }
            report.finished(failure)
            try? await body.write(encode.apply(Self.trailerFrame(status: failure, trailing: context.response.trailing)))
            body.finish()
        }
        body.onTermination = { task.cancel() }
        var headers: [(name: String, value: String)] = [("content-type", responseType)]
        // Initial metadata goes in the headers when the handler set it before its first message.
        var iterator = body.makeAsyncIterator()
        let first = try? await iterator.next()
        headers += GRPCMetadataCodec.headers(from: context.response.initial)
        var response = HTTPResponse(status: 200, headers: headers, body: first ?? [])
        response.bodyStream = RPCAsyncSequence(wrapping: RemainingChunks(iterator: iterator))
        return response
    }

    private func requestMessages(_ body: [UInt8], isText: Bool) throws -> [[UInt8]] {
        var bytes = body
        if isText {
            guard let decoded = Base64.decode(String(decoding: body, as: UTF8.self)) else {
                throw RPCError(code: .invalidArgument, message: "The gRPC-Web text body is not valid base64.")
            }
            bytes = decoded
        }
        var deframer = GRPCMessageDeframer(maxMessageBytes: self.maxMessageBytes)
        bytes.withUnsafeBytes { deframer.append($0) }
        var messages: [[UInt8]] = []
        while let message = try deframer.next() {
            guard !message.compressed else {
                throw RPCError(code: .unimplemented, message: "Compressed gRPC-Web messages are not supported.")
            }
            messages.append(message.bytes)
        }
        guard !deframer.hasPartialMessage else {
            throw RPCError(code: .internalError, message: "The request ended inside a message.")
        }
        return messages
    }

    private static func trailersOnly(_ error: RPCError, _ responseType: String) -> HTTPResponse {
        var headers: [(name: String, value: String)] = [
            ("content-type", responseType),
            ("grpc-status", String(error.code.rawValue)),
            ("grpc-message", GRPCStatusMessage.encode(error.message)),
        ]
        headers += GRPCMetadataCodec.headers(from: error.metadata)
        return HTTPResponse(status: 200, headers: headers)
    }

    private static func trailerFrame(status: RPCError?, trailing: Metadata) -> [UInt8] {
        var text = "grpc-status:\(status?.code.rawValue ?? 0)\r\n"
        if let status, !status.message.isEmpty {
            text += "grpc-message:\(GRPCStatusMessage.encode(status.message))\r\n"
        }
        var trailers = trailing
        for element in status?.metadata ?? [:] {
            trailers.append(element)
        }
        for (name, value) in GRPCMetadataCodec.headers(from: trailers) {
            text += "\(name):\(value)\r\n"
        }
        return Self.frame(Array(text.utf8), flag: 0x80)
    }

    private static func frame(_ payload: [UInt8], flag: UInt8) -> [UInt8] {
        var buffer = ByteBuffer()
        GRPCMessageFramer.frame(payload, flag: flag, into: &buffer)
        return Array(buffer.readableBytesView)
    }
}

/// The body encoding of a gRPC-Web response: binary, or base64 for the `-text` variants.
private struct TextEncoding: Sendable {
    let base64: Bool

    func apply(_ bytes: [UInt8]) -> [UInt8] {
        self.base64 ? Array(Base64.encode(bytes).utf8) : bytes
    }
}

/// The rest of a body stream after its first chunk was taken.
private struct RemainingChunks: AsyncSequence, @unchecked Sendable {
    // @unchecked: the iterator is moved into the one consumer that iterates it; the response
    // body stream is iterated exactly once by the transport.
    typealias Element = [UInt8]
    typealias Failure = any Error

    let iterator: BoundedChunkStream.AsyncIterator

    func makeAsyncIterator() -> BoundedChunkStream.AsyncIterator {
        self.iterator
    }
}
