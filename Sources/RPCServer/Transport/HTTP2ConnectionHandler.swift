internal import NIOCore

/// Drives one HTTP/2 connection: bytes from the socket go into nghttp2 with `mem_recv`, frames
/// nghttp2 produces go out with `mem_send`, written once per read batch or once per event-loop
/// tick for completions that arrive between reads.
///
/// Everything here runs on the connection's event loop. Handlers run in tasks that prefer that
/// loop as their executor, so a call normally never changes thread.
final class HTTP2ConnectionHandler: ChannelInboundHandler, NGHTTP2SessionDelegate {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let services: ServerServices
    private(set) var session: NGHTTP2Session?
    private(set) var context: ChannelHandlerContext?
    private(set) var executor: EventLoopTaskExecutor?
    private(set) var streams: [Int32: HTTP2ServerStream] = [:]
    /// Request bytes all streams hold in memory (``HTTP2ConnectionHandler/hold(_:bytes:)``).
    var heldRequestBytes = 0
    /// Whether some stream's window was withheld because the connection was over its budget.
    var windowWithheld = false
    /// Checks the streams' request-body clocks; pending only while one may run out.
    var bodyTimer: Scheduled<Void>?
    /// Whether ``bodyTimer`` is pending (a flag, cheaper to test per call than the optional).
    var bodyTimerArmed = false
    /// The stream of the latest lookup: nghttp2 reports a request's frames one after another,
    /// so most lookups ask for the same stream again.
    private var lastStream: HTTP2ServerStream?
    private var readInProgress = false
    private var pingWindowStart = ContinuousClock.now
    private var pingsInWindow = 0
    private var flushScheduled = false
    private var closing = false
    /// The client's address as calls report it, formatted once per connection.
    private(set) var peer = "unknown"
    /// The peer's address, read once per connection.
    private(set) var peerAddress = ClientAddress.unknown
    /// Whether the peer is a trusted proxy whose forwarding headers name the client.
    private(set) var peerIsTrustedProxy = false
    /// Values interceptors keep for this connection's calls.
    let connectionValues = ConnectionValues()
    /// The method last routed on this connection. Clients call the same methods again and
    /// again, and a repeated `:path` is the very string ``HeaderFieldCache`` handed out before,
    /// so recognising it is a comparison of two pointers rather than a hash lookup.
    private var lastRoute: Route?

    /// A path and the handler it routes to.
    private struct Route {
        var path: String
        var handler: RPCMethodHandler
    }

    /// Creates a handler.
    ///
    /// - Parameter services: The router, responder, interceptors and limits.
    init(services: ServerServices) {
        self.services = services
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.executor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        self.peer = Self.peer(of: context.channel)
        self.peerAddress = context.channel.remoteAddress.map(ClientAddress.init(socketAddress:)) ?? .unknown
        self.peerIsTrustedProxy = self.services.clientAddresses.isTrusted(self.peerAddress)
        do {
            self.session = try NGHTTP2Session(limits: self.services.configuration.http2, delegate: self)
        } catch {
            context.close(promise: nil)
            return
        }
        if context.channel.isActive {
            self.flush()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.tearDown()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.flush()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tearDown()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        guard let session = self.session else { return }
        self.readInProgress = true
        do {
            try buffer.withUnsafeReadableBytes { try session.receive($0) }
        } catch {
            // nghttp2 has queued GOAWAY; send it, then close.
            self.readInProgress = false
            self.flush()
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.readInProgress = false
        self.flush()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is GracefulShutdownEvent {
            self.beginGracefulShutdown()
        } else if event is IdleStateHandler.IdleStateEvent {
            if self.streams.isEmpty {
                self.beginGracefulShutdown()
            }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
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

    /// The handler of a gRPC path.
    func route(_ path: String) -> RPCMethodHandler? {
        if let lastRoute = self.lastRoute, lastRoute.path == path {
            return lastRoute.handler
        }
        let handler = self.services.router.handler(forPath: path)
        if let handler {
            self.lastRoute = Route(path: path, handler: handler)
        }
        return handler
    }

    /// The open stream with this id.
    private func stream(_ streamID: Int32) -> HTTP2ServerStream? {
        if let stream = self.lastStream, stream.streamID == streamID {
            return stream
        }
        let stream = self.streams[streamID]
        self.lastStream = stream
        return stream
    }

    // MARK: Output

    /// Writes every frame nghttp2 has pending; closes the connection once the session wants
    /// neither to read nor to write (after GOAWAY).
    func flush() {
        guard let context = self.context, let session = self.session else { return }
        // While the socket cannot take more, frames stay inside nghttp2 and response bytes stay
        // in each stream's bounded buffer, so a client that never reads costs bounded memory.
        guard context.channel.isWritable else { return }
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
        if !session.wantsIO && !self.closing {
            self.closing = true
            context.close(promise: nil)
        }
    }

    /// Flushes soon: at the end of the current read batch, or in one event-loop task shared by
    /// every completion of this tick.
    func scheduleFlush() {
        guard !self.readInProgress, !self.flushScheduled, let context = self.context else { return }
        self.flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            self.flush()
        }
    }

    /// Starts a graceful shutdown: GOAWAY now, close when in-flight streams are done.
    func beginGracefulShutdown() {
        self.session?.goAway(errorCode: 0)
        self.flush()
    }

    private func tearDown() {
        self.bodyTimer?.cancel()
        self.bodyTimer = nil
        self.bodyTimerArmed = false
        for stream in self.streams.values {
            self.services.metrics.streamClosed()
            self.abandon(stream)
        }
        self.streams.removeAll()
        self.lastStream = nil
        self.session?.close()
        self.session = nil
    }

    /// Ends everything a stream started: the handler's task, its deadline, waiting writers and
    /// readers.
    func abandon(_ stream: HTTP2ServerStream) {
        stream.closed = true
        stream.task?.cancel()
        stream.deadlineTimer?.cancel()
        stream.deadlineTimer = nil
        stream.requestContinuation?.finish(
            throwing: RPCError(code: .cancelled, message: "The client cancelled the call."))
        stream.requestContinuation = nil
        stream.httpBodyContinuation?.finish(
            throwing: RPCError(code: .cancelled, message: "The client cancelled the request."))
        stream.httpBodyContinuation = nil
        if let waiter = stream.writerWaiter {
            stream.writerWaiter = nil
            waiter.resume(throwing: RPCError(code: .cancelled, message: "The client cancelled the call."))
        }
    }

    // MARK: NGHTTP2SessionDelegate

    func sessionDidBeginRequest(streamID: Int32) {
        self.services.metrics.streamOpened()
        let stream = HTTP2ServerStream(
            streamID: streamID,
            maxMessageBytes: self.services.configuration.rpc.maxReceiveMessageBytes
        )
        self.streams[streamID] = stream
        self.lastStream = stream
    }

    func sessionDidReceiveHeader(streamID: Int32, field: HTTP2HeaderField) {
        guard let stream = self.stream(streamID) else { return }
        // nghttp2 announces SETTINGS_MAX_HEADER_LIST_SIZE but leaves enforcing it to us.
        stream.headerListBytes += field.name.utf8.count + field.value.utf8.count + 32
        if stream.headerListBytes <= Int(self.services.configuration.http2.maxHeaderListBytes) {
            stream.add(field)
        }
    }

    func sessionCouldNotSendHeaders(streamID: Int32) {
        guard let stream = self.stream(streamID) else { return }
        self.abandon(stream)
        self.session?.resetStream(streamID: streamID, errorCode: 2)  // INTERNAL_ERROR
    }

    func sessionDidFinishRequestHeaders(streamID: Int32, endStream: Bool) {
        guard let stream = self.stream(streamID) else { return }
        let limit = Int(self.services.configuration.http2.maxHeaderListBytes)
        if stream.headerListBytes > limit {
            let message = "The request's header list is \(stream.headerListBytes) bytes; the limit is \(limit)."
            if stream.contentType?.hasPrefix("application/grpc") == true {
                stream.kind = .grpc
                self.finishCall(stream, error: RPCError(code: .resourceExhausted, message: message))
            } else {
                stream.kind = .pending
                self.respondHTTPError(stream, status: 431, message: message)
            }
            return
        }
        let contentType = stream.contentType ?? ""
        if contentType == "application/grpc" || contentType.hasPrefix("application/grpc+")
            || contentType.hasPrefix("application/grpc;")
        {
            stream.kind = .grpc
            self.startCall(stream)
            if !endStream && stream.pendingUnary != nil {
                // A unary request must arrive whole within the request-body timeout.
                self.beginRequestBodyWait(stream)
            }
        } else {
            stream.kind = .http
            stream.httpBodyLimit =
                self.services.responder.maxBodyBytes(
                    method: stream.method ?? "GET",
                    target: stream.path ?? "/"
                ) ?? self.services.configuration.maxRequestBodyBytes
            if let length = stream.contentLength.flatMap(Int.init), length > stream.httpBodyLimit {
                self.rejectOversizedBody(stream)
                return
            }
            if !endStream {
                if self.services.responder.streamsRequestBody(
                    method: stream.method ?? "GET", target: stream.path ?? "/")
                {
                    self.startStreamedHTTPRequest(stream)
                } else {
                    self.beginRequestBodyWait(stream)
                }
            }
        }
        if endStream {
            self.sessionDidReceiveEndStream(streamID: streamID)
        }
    }

    func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer) {
        guard let stream = self.stream(streamID) else {
            self.session?.consume(streamID: streamID, bytes: bytes.count)
            return
        }
        switch stream.kind {
        case .grpc where !stream.responseFinished:
            self.hold(stream, bytes: bytes.count)
            self.receiveMessageBytes(stream, bytes: bytes)
        case .http where stream.httpBodyContinuation != nil:
            self.receiveStreamedBody(stream, bytes: bytes)
        case .http:
            if stream.httpBody.readableBytes + bytes.count > stream.httpBodyLimit {
                self.session?.consume(streamID: streamID, bytes: bytes.count)
                self.rejectOversizedBody(stream)
            } else {
                stream.httpBody.writeBytes(bytes)
                self.hold(stream, bytes: bytes.count)
                self.returnWindow(stream)
            }
        case .grpc, .pending:
            // The call has ended (or the request was refused): what still arrives is dropped.
            self.session?.consume(streamID: streamID, bytes: bytes.count)
            if let left = stream.drainingBytesLeft {
                stream.drainingBytesLeft = left - bytes.count
                if left - bytes.count < 0 {
                    stream.drainingBytesLeft = nil
                    self.session?.resetStream(streamID: streamID, errorCode: 0)
                    self.scheduleFlush()
                }
            }
        }
    }

    func sessionDidReceivePing() {
        let limits = self.services.configuration.http2
        let now = ContinuousClock.now
        if now - self.pingWindowStart > limits.pingWindow {
            self.pingWindowStart = now
            self.pingsInWindow = 0
        }
        self.pingsInWindow += 1
        if self.pingsInWindow > limits.maxPingsPerWindow {
            // A ping flood: GOAWAY ENHANCE_YOUR_CALM; the connection closes once it is sent.
            self.session?.terminate(errorCode: 0xB)
        }
    }

    func sessionDidFinishHeaders(streamID: Int32, endStream: Bool) {
        if endStream {
            self.sessionDidReceiveEndStream(streamID: streamID)
        }
    }

    func sessionDidReceiveEndStream(streamID: Int32) {
        guard let stream = self.stream(streamID), !stream.requestEnded else { return }
        stream.requestEnded = true
        self.endBodyWait(stream)
        switch stream.kind {
        case .grpc:
            self.endRequestMessages(stream)
        case .http:
            if let continuation = stream.httpBodyContinuation {
                stream.httpBodyContinuation = nil
                continuation.finish()
            } else {
                self.startHTTPRequest(stream)
            }
        case .pending:
            break
        }
    }

    func sessionDidCloseStream(streamID: Int32, errorCode: UInt32) {
        guard let stream = self.streams.removeValue(forKey: streamID) else { return }
        if self.lastStream === stream {
            self.lastStream = nil
        }
        self.services.metrics.streamClosed()
        self.releaseAll(stream)
        self.abandon(stream)
    }

    func sessionReadOutgoingBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer)
        -> NGHTTP2Session.BodyChunk
    {
        guard let stream = self.stream(streamID) else { return .end(bytesWritten: 0, trailers: []) }
        let count = stream.outbound.take(into: buffer)
        if count > 0 {
            self.resumeWriterIfDrained(stream)
        }
        if stream.outbound.readableBytes == 0 {
            if let trailers = stream.pendingTrailers {
                stream.pendingTrailers = nil
                return .end(bytesWritten: count, trailers: trailers)
            }
            if stream.endsWithoutTrailers {
                if stream.resetAfterResponse, let loop = self.context?.eventLoop {
                    stream.resetAfterResponse = false
                    // After this send pass, so the final DATA frame goes out first.
                    let streamID = stream.streamID
                    let bound = NIOLoopBound(self, eventLoop: loop)
                    loop.execute {
                        bound.value.session?.resetStream(streamID: streamID, errorCode: 0)
                        bound.value.scheduleFlush()
                    }
                }
                return .end(bytesWritten: count, trailers: [])
            }
        }
        return count > 0 ? .bytes(count) : .deferred
    }

    private func resumeWriterIfDrained(_ stream: HTTP2ServerStream) {
        guard let waiter = stream.writerWaiter,
            stream.outbound.readableBytes <= self.services.configuration.rpc.maxBufferedResponseBytes / 2
        else { return }
        stream.writerWaiter = nil
        waiter.resume()
    }
}
