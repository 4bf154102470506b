internal import NIOCore
internal import NIOHTTP1

/// Collects one HTTP/1.1 request at a time, hands it to the responder, writes the response.
///
/// Runs on the connection's event loop; the responder runs in a task and its answer hops back
/// to the loop once. Requests on a keep-alive connection are answered in order: parts of
/// pipelined requests that arrive while a response is in progress wait in a queue, and the
/// channel reads nothing more until it is done. Responses are written as bytes
/// (``HTTP1ResponseEncoding``): a whole response is one buffer, one write, one `writev`. A
/// request NIO's decoder cannot parse is answered 400 and the connection closes.
///
/// A WebSocket handshake for a path the ``WebSocketResponder`` routes turns the connection into
/// a WebSocket (see `HTTP1ConnectionHandler+WebSocket.swift`); this handler then leaves the
/// pipeline. Any other upgrade request is answered by the responder and the connection closes
/// afterwards, because NIO's HTTP decoder parses nothing after an upgrade request.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Waiting for a request head; goes to `.receiving`.
        case idle
        /// Reading a body up to a limit; goes to `.responding`, or `.discarding` when it grows
        /// too large.
        case receiving(HTTPRequestHead, ByteBuffer, limit: Int)
        /// The responder runs while the body arrives (a route that streams request bodies); goes
        /// to `.responding` at the body's end, or, when the response comes first, the rest of
        /// the body is dropped and the connection closes.
        case streaming(HTTPRequestHead, HTTP1StreamedBody)
        /// The body passed the limit and 413 was sent; the rest is dropped until `.end`, then the
        /// connection closes (after too many dropped bytes, at once).
        case discarding(dropped: Int)
        /// The responder is running; goes to `.idle` once the response is written.
        case responding
    }

    private let responder: any HTTPResponder
    /// The server's count of running handler tasks.
    let tasks: HandlerTasks
    /// Routes WebSocket handshakes; `nil` serves none.
    let webSockets: (any WebSocketResponder)?
    /// Limits of connections upgraded to WebSocket.
    let webSocketLimits: RPCServerConfiguration.WebSocketLimits
    private let maxBodyBytes: Int
    private var state: State = .idle
    private var closeAfterResponse = false
    /// Parts of pipelined requests that arrived while a response was in progress, handled in
    /// order once it is done. Reads stop meanwhile, so this holds at most one read's worth.
    private var pipelined = CircularBuffer<HTTPServerRequestPart>()
    /// Whether the channel asked to read while a response was in progress.
    private var readRequested = false
    /// Whether the connection is closing: nothing more is answered.
    private var closing = false

    private let headerReadTimeout: TimeAmount
    private var headerTimer: Scheduled<Void>?
    /// How long a request body may take to arrive, from its head.
    private let bodyReadTimeout: TimeAmount
    /// Refuses the body being read when it runs out; `nil` while no body is awaited.
    private var bodyTimer: Scheduled<Void>?
    /// When the awaited request head must have arrived; `nil` while a request is in progress.
    /// One timer serves many keep-alive requests: it re-arms itself for a later deadline
    /// instead of being cancelled and scheduled again per request.
    private var headerDeadline: NIODeadline?
    /// The task writing a streamed response body; cancelled when the client goes away so the
    /// producing handler stops.
    private var streamTask: Task<Bool, Never>?

    /// How many bytes of a refused body are read and dropped before the connection is closed.
    private static let maxDroppedBodyBytes = 64 * 1024 * 1024

    /// Creates the handler of one HTTP/1.1 connection.
    ///
    /// - Parameters:
    ///   - responder: Answers requests.
    ///   - webSockets: Routes WebSocket handshakes; `nil` serves none.
    ///   - webSocketLimits: Limits of upgraded connections.
    ///   - maxBodyBytes: The request body limit.
    ///   - headerReadTimeout: How long a client may take to send a request head.
    ///   - bodyReadTimeout: How long a client may take to send a request body, from its head.
    ///   - tasks: Counts the responder tasks this connection starts.
    init(
        responder: any HTTPResponder,
        webSockets: (any WebSocketResponder)? = nil,
        webSocketLimits: RPCServerConfiguration.WebSocketLimits = .defaults,
        maxBodyBytes: Int,
        headerReadTimeout: Duration,
        bodyReadTimeout: Duration = .seconds(60),
        tasks: HandlerTasks = HandlerTasks()
    ) {
        self.bodyReadTimeout = TimeAmount(bodyReadTimeout)
        self.tasks = tasks
        self.responder = responder
        self.webSockets = webSockets
        self.webSocketLimits = webSocketLimits
        self.maxBodyBytes = maxBodyBytes
        self.headerReadTimeout = TimeAmount(headerReadTimeout)
    }

    /// The remote peer as `ip:port` and its address, read once per connection.
    private var peer: (text: String, address: ClientAddress)?

    /// Runs responders on this connection's event loop, so a request normally never changes
    /// thread.
    private var executor: EventLoopTaskExecutor?

    func handlerAdded(context: ChannelHandlerContext) {
        self.executor = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        self.armHeaderTimer(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.bodyTimer?.cancel()
        self.bodyTimer = nil
        self.cancelHeaderTimer()
        self.headerTimer?.cancel()
        self.headerTimer = nil
    }

    /// Stops the request-head clock (a head arrived, or the connection is leaving HTTP).
    func cancelHeaderTimer() {
        self.headerDeadline = nil
    }

    /// Starts the clock for the next request head: a client that trickles its headers (or
    /// sends nothing) is disconnected when it runs out.
    private func armHeaderTimer(context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + self.headerReadTimeout
        self.headerDeadline = deadline
        if self.headerTimer == nil {
            self.scheduleHeaderTimer(at: deadline, context: context)
        }
    }

    private func scheduleHeaderTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let bound = NIOLoopBound(Endpoint(handler: self, context: context), eventLoop: context.eventLoop)
        self.headerTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let endpoint = bound.value
            endpoint.handler.headerTimerFired(context: endpoint.context)
        }
    }

    private func headerTimerFired(context: ChannelHandlerContext) {
        self.headerTimer = nil
        guard let deadline = self.headerDeadline else { return }  // a request is in progress
        if deadline <= NIODeadline.now() {
            context.close(promise: nil)
        } else {
            self.scheduleHeaderTimer(at: deadline, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is GracefulShutdownEvent || event is IdleStateHandler.IdleStateEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if case .idle = self.state {
            context.close(promise: nil)
        } else {
            self.closeAfterResponse = true
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .streaming(_, let body) = self.state {
            body.continuation.finish(throwing: RPCError(code: .cancelled, message: "The client closed the connection."))
        }
        self.streamTask?.cancel()
        self.streamTask = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The connection cannot be trusted to frame another request. A request the decoder
        // could not parse is answered 400 first, unless a response is already on its way.
        guard error is HTTPParserError, !self.closing, case .idle = self.state else {
            self.closing = true
            context.close(promise: nil)
            return
        }
        self.closeAfterResponse = true
        self.closing = true
        let response = HTTPResponse.error(
            status: 400, statusName: "INVALID_ARGUMENT", message: "The request is not valid HTTP/1.1.")
        var buffer = context.channel.allocator.buffer(capacity: 128 + response.body.count)
        HTTP1ResponseEncoding.writeHead(
            status: 400, headers: response.headers, framing: .contentLength(response.body.count), keepAlive: false,
            version: .http1_1, into: &buffer)
        buffer.writeBytes(response.body)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func read(context: ChannelHandlerContext) {
        // While a response is in progress (or pipelined parts wait), nothing more is read.
        if case .responding = self.state {
            self.readRequested = true
        } else if !self.pipelined.isEmpty {
            self.readRequested = true
        } else if case .streaming(_, let body) = self.state, body.paused {
            self.readRequested = true
        } else {
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if case .responding = self.state {
            self.pipelined.append(part)
            return
        }
        guard self.pipelined.isEmpty else {
            self.pipelined.append(part)
            return
        }
        self.handle(part, context: context)
    }

    /// Handles the next part of the request stream, the response of the previous being done.
    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, self.state) {
        case (.head(let head), .idle):
            self.cancelHeaderTimer()
            if Self.requestsUpgrade(head) {
                self.closeAfterResponse = true
            }
            // Only a request that announces a body needs its route's limit looked up.
            let announcesBody =
                head.headers.contains(name: "content-length") || head.headers.contains(name: "transfer-encoding")
            let limit =
                announcesBody
                ? self.responder.maxBodyBytes(method: head.method.rawValue, target: head.uri) ?? self.maxBodyBytes
                : self.maxBodyBytes
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                self.rejectOversizedBody(head: head, limit: limit, context: context)
            } else if announcesBody,
                self.responder.streamsRequestBody(method: head.method.rawValue, target: head.uri)
            {
                self.startStreamedRequest(head: head, limit: limit, context: context)
            } else {
                self.state = .receiving(head, context.channel.allocator.buffer(capacity: 0), limit: limit)
                if announcesBody {
                    self.armBodyTimer(head: head, context: context)
                }
            }
        case (.body(var chunk), .receiving(let head, var body, let limit)):
            if body.readableBytes + chunk.readableBytes > limit {
                self.rejectOversizedBody(head: head, limit: limit, context: context)
            } else {
                body.writeBuffer(&chunk)
                self.state = .receiving(head, body, limit: limit)
            }
        case (.end, .receiving(let head, let body, _)):
            self.bodyTimer?.cancel()
            self.bodyTimer = nil
            self.state = .responding
            let request = self.makeRequest(head: head, body: body, context: context)
            if Self.requestsWebSocket(head), let route = self.webSockets?.route(for: request) {
                if let admission = route.admission {
                    self.admit(request, to: route, admission: admission, head: head, context: context)
                } else {
                    self.upgradeToWebSocket(route: route, request: request, head: head, context: context)
                }
            } else {
                self.dispatch(request, head: head, context: context)
            }
        case (.body(let chunk), .streaming(let head, let body)):
            body.received += chunk.readableBytes
            guard body.received <= body.limit else {
                body.continuation.finish(
                    throwing: RPCError(
                        code: .resourceExhausted,
                        message: "The request body is larger than the limit of \(body.limit) bytes."))
                self.rejectOversizedBody(head: head, limit: body.limit, context: context)
                return
            }
            body.queued += chunk.readableBytes
            body.progressed = true
            body.continuation.yield(Array(chunk.readableBytesView))
            if body.queued > HTTP1StreamedBody.pauseBytes {
                body.paused = true
            }
        case (.end, .streaming(_, let body)):
            self.bodyTimer?.cancel()
            self.bodyTimer = nil
            body.continuation.finish()
            self.state = .responding
        case (.body(let chunk), .discarding(let dropped)):
            self.state = .discarding(dropped: dropped + chunk.readableBytes)
            if dropped + chunk.readableBytes > Self.maxDroppedBodyBytes {
                context.close(promise: nil)
            }
        case (.end, .discarding):
            context.close(promise: nil)
        case (.head, _), (.body, _), (.end, _):
            // Pipelined requests or protocol misuse: NIOHTTP1 has already validated framing.
            break
        }
    }

    /// Starts the clock for the body of `head`: a client that trickles it is answered 408 and
    /// disconnected when it runs out.
    private func armBodyTimer(head: HTTPRequestHead, context: ChannelHandlerContext) {
        let bound = NIOLoopBound(Endpoint(handler: self, context: context), eventLoop: context.eventLoop)
        self.bodyTimer = context.eventLoop.scheduleTask(in: self.bodyReadTimeout) {
            let endpoint = bound.value
            endpoint.handler.bodyTimerFired(head: head, context: endpoint.context)
        }
    }

    private func bodyTimerFired(head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.bodyTimer = nil
        let seconds = self.bodyReadTimeout.nanoseconds / 1_000_000_000
        if case .streaming(_, let body) = self.state {
            // A streamed body may take as long as it likes while it moves (or waits for its
            // responder); it is refused when no byte arrived for a whole period.
            guard !body.progressed, !body.paused else {
                body.progressed = false
                self.armBodyTimer(head: head, context: context)
                return
            }
            body.continuation.finish(
                throwing: RPCError(
                    code: .deadlineExceeded, message: "The request body stopped arriving for \(seconds) s."))
        } else {
            guard case .receiving = self.state else { return }
        }
        self.refuse(
            head: head,
            status: 408,
            response: HTTPResponse.error(
                status: 408,
                statusName: "DEADLINE_EXCEEDED",
                message: "The request body did not arrive within \(seconds) s."
            ),
            closeAfterWrite: true,
            context: context
        )
    }

    /// Answers 413 as soon as the body is known to be too large (from `content-length`, or when
    /// the bytes read pass the limit), then drops the rest of the body and closes.
    private func rejectOversizedBody(head: HTTPRequestHead, limit: Int, context: ChannelHandlerContext) {
        self.refuse(
            head: head,
            status: 413,
            response: HTTPResponse.error(
                status: 413,
                statusName: "RESOURCE_EXHAUSTED",
                message: "The request body is larger than the limit of \(limit) bytes."
            ),
            context: context
        )
    }

    /// Answers a request whose body will not be read and drops what still arrives of it. The
    /// connection closes when the client has finished sending, or, with `closeAfterWrite`, soon
    /// after the answer is written (a client that stalls would otherwise keep it): the server
    /// stops sending (FIN) and reads and drops what still arrives for ``lingerTime`` before it
    /// closes, so the client reads the answer instead of a reset that discards it.
    private func refuse(
        head: HTTPRequestHead,
        status: Int,
        response: HTTPResponse,
        closeAfterWrite: Bool = false,
        context: ChannelHandlerContext
    ) {
        self.bodyTimer?.cancel()
        self.bodyTimer = nil
        self.state = .discarding(dropped: 0)
        self.closeAfterResponse = true
        var buffer = context.channel.allocator.buffer(capacity: 128 + response.body.count)
        HTTP1ResponseEncoding.writeHead(
            status: status, headers: response.headers, framing: .contentLength(response.body.count),
            keepAlive: false, version: head.version, into: &buffer)
        buffer.writeBytes(response.body)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: written)
        if closeAfterWrite {
            self.closing = true
            let channel = context.channel
            written.futureResult.whenComplete { _ in
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
            }
        }
    }

    /// How long a connection closed after a refusal keeps reading (and dropping) before it closes.
    private static let lingerTime = TimeAmount.seconds(2)

    private func makeRequest(head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) -> HTTPRequest {
        let peer: (text: String, address: ClientAddress)
        if let known = self.peer {
            peer = known
        } else {
            let remote = context.remoteAddress
            peer = (
                remote.map(\.peerText) ?? "unknown",
                remote.map(ClientAddress.init(socketAddress:)) ?? .unknown
            )
            self.peer = peer
        }
        return HTTPRequest(
            method: head.method.rawValue,
            target: head.uri,
            headers: head.headers.map { (name: $0.name, value: $0.value) },
            body: Array(body.readableBytesView),
            peer: peer.text,
            peerAddress: peer.address
        )
    }

    /// Hands the request to the responder now, its body to follow as it arrives.
    private func startStreamedRequest(head: HTTPRequestHead, limit: Int, context: ChannelHandlerContext) {
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let body = HTTP1StreamedBody(continuation: continuation, limit: limit)
        self.state = .streaming(head, body)
        self.armBodyTimer(head: head, context: context)
        let loop = context.eventLoop
        let loopBound = NIOLoopBound((Endpoint(handler: self, context: context), body), eventLoop: loop)
        var request = self.makeRequest(
            head: head, body: context.channel.allocator.buffer(capacity: 0), context: context)
        request.bodyStream = RPCAsyncSequence(wrapping: chunks).mapMessages { chunk in
            let count = chunk.count
            HTTP1ConnectionHandler.onLoop(loop) {
                let (endpoint, body) = loopBound.value
                endpoint.handler.streamedBytesTaken(count, of: body, context: endpoint.context)
            }
            return chunk
        }
        self.dispatch(request, head: head, context: context)
    }

    /// The responder took bytes of a streamed body: reading goes on once it has caught up.
    private func streamedBytesTaken(_ count: Int, of body: HTTP1StreamedBody, context: ChannelHandlerContext) {
        body.queued -= count
        body.progressed = true
        guard body.paused, body.queued <= HTTP1StreamedBody.resumeBytes else { return }
        body.paused = false
        guard case .streaming(_, let current) = self.state, current === body, self.readRequested, !self.closing
        else { return }
        self.readRequested = false
        context.read()
    }

    private func dispatch(_ request: HTTPRequest, head: HTTPRequestHead, context: ChannelHandlerContext) {
        let responder = self.responder
        let loop = context.eventLoop
        let loopBound = NIOLoopBound(Endpoint(handler: self, context: context), eventLoop: loop)
        let executor = self.executor
        self.tasks.start(on: executor) {
            let response = await responder.respond(to: request)
            HTTP1ConnectionHandler.onLoop(loop) {
                let endpoint = loopBound.value
                endpoint.handler.write(response, head: head, context: endpoint.context)
            }
        }
    }

    /// Asks the route's admission about an upgrade request, then answers its refusal or goes on
    /// with the handshake, back on the event loop.
    private func admit(
        _ request: HTTPRequest, to route: WebSocketRoute, admission: @escaping WebSocketRoute.Admission,
        head: HTTPRequestHead, context: ChannelHandlerContext
    ) {
        let loop = context.eventLoop
        let loopBound = NIOLoopBound(Endpoint(handler: self, context: context), eventLoop: loop)
        self.tasks.start(on: self.executor) {
            let refusal = await admission(request)
            HTTP1ConnectionHandler.onLoop(loop) {
                let endpoint = loopBound.value
                if let refusal {
                    endpoint.handler.write(refusal, head: head, context: endpoint.context)
                } else {
                    endpoint.handler.upgradeToWebSocket(
                        route: route, request: request, head: head, context: endpoint.context)
                }
            }
        }
    }

    /// The handler and its context, used only on the event loop.
    private struct Endpoint {
        let handler: HTTP1ConnectionHandler
        let context: ChannelHandlerContext
    }

    /// Runs `body` on the loop: at once when already there (the usual case), else enqueued.
    private static func onLoop(_ loop: any EventLoop, _ body: @escaping @Sendable () -> Void) {
        if loop.inEventLoop {
            body()
        } else {
            loop.execute(body)
        }
    }

    /// Writes a response to the request `head`: a whole one as one buffer, a streamed one as
    /// its head and then chunk by chunk; then ends it (closing the connection when it is not
    /// kept alive).
    func write(_ response: HTTPResponse, head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch self.state {
        case .discarding:
            // The request was refused (413, 408) while its responder ran: its answer is dropped.
            _ = response.bodyStream?.makeAsyncIterator()
            return
        case .streaming(_, let body):
            // Answered before the body ended: the rest of the body is not read.
            body.continuation.finish()
            self.bodyTimer?.cancel()
            self.bodyTimer = nil
            self.closeAfterResponse = true
            if response.bodyStream == nil {
                self.refuse(
                    head: head, status: response.status, response: response, closeAfterWrite: true,
                    context: context)
                return
            }
            self.state = .responding
        default:
            break
        }
        let isHead = head.method == .HEAD
        let streamsChunked = head.version.minor >= 1
        var keepAlive = head.isKeepAlive && !self.closeAfterResponse
        guard let stream = response.bodyStream else {
            var buffer = context.channel.allocator.buffer(capacity: 256 + (isHead ? 0 : response.body.count))
            HTTP1ResponseEncoding.writeHead(
                status: response.status, headers: response.headers, framing: .contentLength(response.body.count),
                keepAlive: keepAlive, version: head.version, into: &buffer)
            if !isHead {
                buffer.writeBytes(response.body)
            }
            self.finishResponse(keepAlive: keepAlive, last: buffer, context: context)
            return
        }
        // A streamed body to HTTP/1.0 is delimited by the connection's end.
        keepAlive = keepAlive && streamsChunked
        var buffer = context.channel.allocator.buffer(capacity: 256 + response.body.count)
        HTTP1ResponseEncoding.writeHead(
            status: response.status, headers: response.headers,
            framing: streamsChunked ? .chunked : .closeDelimited, keepAlive: keepAlive, version: head.version,
            into: &buffer)
        if isHead {
            self.finishResponse(keepAlive: keepAlive, last: buffer, context: context)
            return
        }
        if streamsChunked {
            HTTP1ResponseEncoding.writeChunk(response.body, into: &buffer)
        } else {
            buffer.writeBytes(response.body)
        }
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
        self.streamBody(stream, chunked: streamsChunked, keepAlive: keepAlive, context: context)
    }

    /// Writes a streamed body chunk by chunk, each after the previous one was written (so a
    /// slow reader slows the producer), then ends the response.
    private func streamBody(
        _ stream: RPCAsyncSequence<[UInt8]>,
        chunked: Bool,
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        // The writing task ends the response itself, on the loop: no second task waits for it.
        let task = self.tasks.start(on: self.executor) {
            var completed: Bool
            do {
                for try await chunk in stream where !chunk.isEmpty {
                    try await loop.flatSubmit {
                        let (handler, context) = loopBound.value
                        var buffer = context.channel.allocator.buffer(capacity: chunk.count + 16)
                        if chunked {
                            HTTP1ResponseEncoding.writeChunk(chunk, into: &buffer)
                        } else {
                            buffer.writeBytes(chunk)
                        }
                        return context.writeAndFlush(handler.wrapOutboundOut(buffer))
                    }.get()
                }
                completed = !Task.isCancelled
            } catch {
                completed = false
            }
            let finished = completed
            HTTP1ConnectionHandler.onLoop(loop) {
                let (handler, context) = loopBound.value
                handler.streamTask = nil
                guard finished else {
                    context.close(promise: nil)
                    return
                }
                var end = context.channel.allocator.buffer(capacity: 5)
                if chunked {
                    HTTP1ResponseEncoding.writeLastChunk(into: &end)
                }
                handler.finishResponse(keepAlive: keepAlive, last: end, context: context)
            }
            return finished
        }
        self.streamTask = task
    }

    /// Writes the response's last bytes; then closes the connection, or answers the next
    /// pipelined request and reads on.
    private func finishResponse(keepAlive: Bool, last: ByteBuffer, context: ChannelHandlerContext) {
        self.state = .idle
        guard keepAlive else {
            self.closing = true
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(last)).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        self.armHeaderTimer(context: context)
        context.writeAndFlush(self.wrapOutboundOut(last), promise: nil)
        // Pipelined requests that arrived meanwhile, in order, until one starts responding.
        while !self.closing, !self.pipelined.isEmpty {
            if case .responding = self.state { return }
            self.handle(self.pipelined.removeFirst(), context: context)
        }
        if case .responding = self.state { return }
        if self.readRequested, !self.closing {
            self.readRequested = false
            context.read()
        }
    }
}
