import NIOCore
import NIOPosix

@testable import RPCServer

/// One gRPC call over a real socket whose request body the test frames itself, answered with
/// the raw response: lets tests set and see each message's compressed flag, which the
/// generated clients hide.
///
/// The client side is an nghttp2 client session (the one ``HTTP2ClientTransport`` uses),
/// driven by a handler of its own that keeps the response body as it arrived.
enum RawGRPCExchange {
    /// What the server answered.
    struct Response: Sendable {
        /// The response header fields (`:status` included).
        var headers: [String: String] = [:]
        /// The trailer fields; empty for a trailers-only response.
        var trailers: [String: String] = [:]
        /// The response body as it arrived: length-prefixed messages.
        var body: [UInt8] = []

        /// `grpc-status`, from the trailers or a trailers-only response's headers.
        var status: String? { self.trailers["grpc-status"] ?? self.headers["grpc-status"] }

        /// The body split into messages: each one's compressed flag and payload as sent.
        var messages: [(compressed: Bool, payload: [UInt8])] {
            var messages: [(compressed: Bool, payload: [UInt8])] = []
            var offset = 0
            while self.body.count - offset >= 5 {
                let length = self.body[(offset + 1)..<(offset + 5)].reduce(0) { $0 << 8 | Int($1) }
                let end = min(self.body.count, offset + 5 + length)
                messages.append((self.body[offset] == 1, Array(self.body[(offset + 5)..<end])))
                offset = end
            }
            return messages
        }
    }

    /// Sends one request (headers, then `body` and end of stream) and waits for its response.
    ///
    /// - Parameters:
    ///   - path: The method's path, e.g. `/pkg.Service/Method`.
    ///   - headers: Request headers besides the pseudo-headers, `content-type` and `te`.
    ///   - body: The request body: the test's own framed messages.
    ///   - port: The server's port on 127.0.0.1.
    /// - Returns: The response once the stream closed.
    static func call(
        path: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8],
        port: Int
    ) async throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Response.self)
        let request: [(name: String, value: String)] =
            [
                (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1:\(port)"),
                ("content-type", "application/grpc"), ("te", "trailers"),
            ] + headers
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try Handler(request: request, body: body, done: promise)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }

    /// Drives the client session for one call and completes `done` when its stream closes.
    private final class Handler: ChannelInboundHandler, NGHTTP2SessionDelegate {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let request: [(name: String, value: String)]
        private var outbound: ByteBuffer
        private let done: EventLoopPromise<Response>
        private var session: NGHTTP2Session?
        private var context: ChannelHandlerContext?
        private var response = Response()
        private var block: [String: String] = [:]
        private var sawHeaders = false

        init(request: [(name: String, value: String)], body: [UInt8], done: EventLoopPromise<Response>) throws {
            self.request = request
            self.outbound = ByteBuffer(bytes: body)
            self.done = done
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
            do {
                let session = try NGHTTP2Session(clientWithWindowBytes: 1 << 20, delegate: self)
                self.session = session
                _ = try session.submitRequest(headers: self.request)
            } catch {
                self.done.fail(error)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.done.fail(RPCError(code: .unavailable, message: "The connection closed before the response ended."))
            self.session?.close()
            self.session = nil
            self.context = nil
        }

        func channelActive(context: ChannelHandlerContext) {
            self.flush()
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.done.fail(RPCError(code: .unavailable, message: "The connection closed before the response ended."))
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = self.unwrapInboundIn(data)
            do {
                try buffer.withUnsafeReadableBytes { try self.session?.receive($0) }
            } catch {
                self.done.fail(error)
                context.close(promise: nil)
            }
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            self.flush()
            context.fireChannelReadComplete()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.done.fail(error)
            context.close(promise: nil)
        }

        private func flush() {
            guard let context = self.context, let session = self.session else { return }
            do {
                if let output = try session.pendingOutput(allocator: context.channel.allocator) {
                    context.writeAndFlush(self.wrapOutboundOut(output), promise: nil)
                }
            } catch {
                self.done.fail(error)
                context.close(promise: nil)
            }
        }

        // MARK: NGHTTP2SessionDelegate

        func sessionDidBeginRequest(streamID: Int32) {}

        func sessionDidReceiveHeader(streamID: Int32, field: HTTP2HeaderField) {
            self.block[field.name] = field.value
        }

        func sessionDidFinishRequestHeaders(streamID: Int32, endStream: Bool) {}

        func sessionDidFinishHeaders(streamID: Int32, endStream: Bool) {
            if self.sawHeaders {
                self.response.trailers = self.block
            } else {
                self.sawHeaders = true
                self.response.headers = self.block
            }
            self.block = [:]
        }

        func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
            self.response.body.append(contentsOf: bytes)
        }

        func sessionDidReceivePing() {}

        func sessionDidReceiveEndStream(streamID: Int32) {}

        func sessionCouldNotSendHeaders(streamID: Int32) {
            self.done.fail(RPCError(code: .internalError, message: "The request headers could not be sent."))
        }

        func sessionDidCloseStream(streamID: Int32, errorCode: UInt32) {
            self.done.succeed(self.response)
            self.context?.close(promise: nil)
        }

        func sessionReadOutgoingBody(
            streamID: Int32,
            into buffer: UnsafeMutableRawBufferPointer
        ) -> NGHTTP2Session.BodyChunk {
            let count = NGHTTP2Session.copyBody(from: &self.outbound, into: buffer)
            return self.outbound.readableBytes == 0 ? .end(bytesWritten: count, trailers: []) : .bytes(count)
        }
    }
}
