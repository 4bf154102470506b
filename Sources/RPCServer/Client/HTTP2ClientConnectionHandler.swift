internal import NIOCore

/// The client side of one HTTP/2 connection: starts gRPC calls as streams on an nghttp2
/// client session and turns response frames back into messages and a status.
///
/// Runs on the connection's event loop; ``HTTP2ClientTransport`` reaches it through
/// `NIOLoopBound`.
final class HTTP2ClientConnectionHandler: ChannelInboundHandler, NGHTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let authority: String
    private let maxMessageBytes: Int
    private var session: NGHTTP2Session?
    private var context: ChannelHandlerContext?
    private var streams: [Int32: HTTP2ClientStream] = [:]
    private var readInProgress = false
    private var flushScheduled = false

    init(authority: String, maxMessageBytes: Int) {
        self.authority = authority
        self.maxMessageBytes = maxMessageBytes
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.session = try? NGHTTP2Session(clientWithWindowBytes: 1 << 20, delegate: self)
        if context.channel.isActive {
            self.flush()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(RPCError(code: .unavailable, message: "The connection closed."))
        self.session?.close()
        self.session = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.flush()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(RPCError(code: .unavailable, message: "The connection closed."))
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        guard let session = self.session else { return }
        self.readInProgress = true
        do {
            try buffer.withUnsafeReadableBytes { try session.receive($0) }
        } catch {
            self.readInProgress = false
            self.failAll(RPCError(code: .unavailable, message: "The server broke the HTTP/2 protocol."))
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readInProgress = false
        self.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func flush() {
        guard let context = self.context, let session = self.session, context.channel.isWritable else { return }
        let output: ByteBuffer?
        do {
            output = try session.pendingOutput(allocator: context.channel.allocator)
        } catch {
            context.close(promise: nil)
            return
        }
        if let output {
            context.writeAndFlush(self.wrapOutboundOut(output), promise: nil)
        }
    }

    private func scheduleFlush() {
        guard !self.readInProgress, !self.flushScheduled, let context = self.context else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flush()
        }
    }

    private func failAll(_ error: RPCError) {
        for stream in self.streams.values {
            stream.responses?.finish(throwing: error)
            stream.responses = nil
        }
        self.streams.removeAll()
    }

    // MARK: Calls (on the event loop)

    /// Starts a call.
    ///
    /// - Returns: The stream id and the stream of response messages, which throws
    ///   ``RPCError`` when the call ends with a non-OK status.
    func startCall(
        path: String,
        metadata: Metadata,
        timeout: Duration?,
        firstMessage: [UInt8]?,
        endRequest: Bool
    ) throws -> (Int32, AsyncThrowingStream<[UInt8], any Error>) {
        guard let session = self.session else {
            throw RPCError(code: .unavailable, message: "The connection is closed.")
        }
        var headers: [(name: String, value: String)] = [
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", self.authority),
            ("content-type", "application/grpc"), ("te", "trailers"),
        ]
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            let micros = max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
            headers.append(("grpc-timeout", "\(min(micros, 99_999_999))u"))
        }
        headers += GRPCMetadataCodec.headers(from: metadata)
        let (responses, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let streamID: Int32
        do {
            streamID = try session.submitRequest(headers: headers)
        } catch {
            throw RPCError(code: .unavailable, message: "The call could not be started.")
        }
        let stream = HTTP2ClientStream(
            streamID: streamID,
            maxMessageBytes: self.maxMessageBytes,
            responses: continuation
        )
        if let firstMessage {
            GRPCMessageFramer.frame(firstMessage, compressed: false, into: &stream.outbound)
        }
        stream.requestEnded = endRequest
        self.streams[streamID] = stream
        self.scheduleFlush()
        return (streamID, responses)
    }

    /// Queues one request message.
    func send(_ bytes: [UInt8], streamID: Int32) throws {
        guard let stream = self.streams[streamID], !stream.requestEnded else {
            throw RPCError(code: .cancelled, message: "The call has ended.")
        }
        GRPCMessageFramer.frame(bytes, compressed: false, into: &stream.outbound)
        self.session?.resumeBody(streamID: streamID)
        self.scheduleFlush()
    }

    /// Ends the request stream.
    func endRequest(streamID: Int32) {
        guard let stream = self.streams[streamID] else { return }
        stream.requestEnded = true
        self.session?.resumeBody(streamID: streamID)
        self.scheduleFlush()
    }

    /// Cancels a call with RST_STREAM CANCEL.
    func cancel(streamID: Int32) {
        guard let stream = self.streams.removeValue(forKey: streamID) else { return }
        stream.responses?.finish(throwing: RPCError(code: .cancelled, message: "The call was cancelled."))
        stream.responses = nil
        self.session?.resetStream(streamID: streamID, errorCode: 0x8)
        self.scheduleFlush()
    }

    /// Closes the connection.
    func close() {
        self.session?.goAway(errorCode: 0)
        self.flush()
        self.context?.close(promise: nil)
    }

    // MARK: NGHTTP2SessionDelegate

    func sessionDidBeginRequest(streamID: Int32) {}

    func sessionDidReceiveHeader(streamID: Int32, field: HTTP2HeaderField) {
        self.streams[streamID]?.headers.append((field.name, field.value))
    }

    func sessionDidFinishRequestHeaders(streamID: Int32, endStream: Bool) {}

    func sessionDidFinishHeaders(streamID: Int32, endStream: Bool) {
        guard let stream = self.streams[streamID] else { return }
        if !stream.sawResponseHeaders {
            stream.sawResponseHeaders = true
            let status = stream.header(":status") ?? ""
            guard status == "200" else {
                self.finish(stream, error: RPCError(code: .unknown, message: "The server answered HTTP \(status)."))
                return
            }
            stream.responseGzip = stream.header("grpc-encoding") == "gzip"
            if !endStream {
                stream.headers.removeAll(keepingCapacity: true)
                return
            }
        }
        // Trailers, or a trailers-only response.
        let code = stream.header("grpc-status").flatMap { Int($0) }.flatMap { RPCError.Code(rawValue: $0) }
        guard let code else {
            self.finish(stream, error: RPCError(code: .internalError, message: "The response has no grpc-status."))
            return
        }
        if code == .ok {
            self.finish(stream, error: nil)
        } else {
            let message = GRPCStatusMessage.decode(stream.header("grpc-message") ?? "")
            let trailing = GRPCMetadataCodec.metadata(from: stream.headers)
            self.finish(stream, error: RPCError(code: code, message: message, metadata: trailing))
        }
    }

    func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        guard let stream = self.streams[streamID], let continuation = stream.responses else { return }
        stream.deframer.append(bytes)
        do {
            while let message = try stream.deframer.next() {
                if message.compressed {
                    guard stream.responseGzip else {
                        throw RPCError(
                            code: .internalError, message: "A compressed message arrived without grpc-encoding.")
                    }
                    continuation.yield(try Gzip.decompress(message.bytes, limit: self.maxMessageBytes))
                } else {
                    continuation.yield(message.bytes)
                }
            }
        } catch {
            self.finish(stream, error: RPCError.from(error))
            self.session?.resetStream(streamID: streamID, errorCode: 0x8)
        }
    }

    func sessionDidReceiveEndStream(streamID: Int32) {}

    func sessionDidReceivePing() {}

    func sessionCouldNotSendHeaders(streamID: Int32) {
        guard let stream = self.streams[streamID] else { return }
        self.finish(stream, error: RPCError(code: .internalError, message: "The request headers could not be sent."))
    }

    func sessionDidCloseStream(streamID: Int32, errorCode: UInt32) {
        guard let stream = self.streams.removeValue(forKey: streamID) else { return }
        if let continuation = stream.responses {
            stream.responses = nil
            continuation.finish(
                throwing: RPCError(
                    code: .unavailable, message: "The stream closed without a status (error \(errorCode)).")
            )
        }
    }

    func sessionReadOutgoingBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer)
        -> NGHTTP2Session.BodyChunk
    {
        guard let stream = self.streams[streamID] else { return .end(bytesWritten: 0, trailers: []) }
        let count = NGHTTP2Session.copyBody(from: &stream.outbound, into: buffer)
        if stream.outbound.readableBytes == 0 && stream.requestEnded {
            return .end(bytesWritten: count, trailers: [])
        }
        return count > 0 ? .bytes(count) : .deferred
    }

    private func finish(_ stream: HTTP2ClientStream, error: RPCError?) {
        guard let continuation = stream.responses else { return }
        stream.responses = nil
        if let error {
            continuation.finish(throwing: error)
        } else {
            continuation.finish()
        }
    }
}
