internal import NIOCore
internal import NIOWebSocket

/// Serves one upgraded WebSocket connection: runs the route's handler in a task, delivers the
/// client's messages to it, sends its messages, answers pings, pings the client, and performs
/// the closing handshake.
///
/// Everything here runs on the connection's event loop; the handler task prefers that loop as
/// its executor, so a message normally never changes thread. Frame rules live in
/// ``WebSocketFrameReader``; this type only performs what it decides.
///
/// Backpressure works both ways: ``send(_:loop:bound:)`` suspends while the channel is not
/// writable, and reads from the socket stop while the handler has not taken
/// `maxMessageBytes` of received messages.
final class WebSocketConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private enum State {
        /// Messages flow both ways; goes to `.closing` when the server sends a close frame or the
        /// connection fails, to `.closed` when the client closes first or disconnects.
        case open
        /// The server sent its close frame and waits for the client's (after a failure: for the
        /// client to hang up) until the close timeout; goes to `.closed`.
        case closing
        /// The connection is closing or closed; nothing is sent any more. Final.
        case closed
    }

    private let request: HTTPRequest
    private let route: WebSocketRoute
    private let limits: RPCServerConfiguration.WebSocketLimits
    /// The server's count of running handler tasks.
    private let tasks: HandlerTasks
    private var state = State.open
    private var reader: WebSocketFrameReader
    private var context: ChannelHandlerContext?

    /// Delivers messages to the handler; `nil` once ``WebSocketSession/messages`` has ended.
    private var inbound: AsyncThrowingStream<WebSocketMessage, any Error>.Continuation?
    /// Bytes of messages delivered but not yet taken by the handler.
    private var queuedInboundBytes = 0
    /// Whether a `read` was held back because the handler is behind.
    private var readHeld = false
    /// Senders waiting for the channel to become writable.
    private var blockedWriters: [CheckedContinuation<Void, any Error>] = []

    /// The task running the route's handler.
    private var task: Task<Void, Never>?
    /// The next keepalive ping.
    private var pingTimer: Scheduled<Void>?
    /// The deadline for the pong answering the last ping.
    private var pongDeadline: Scheduled<Void>?
    /// The payload of the last ping, which its pong must echo.
    private var pingPayload: UInt64 = 0
    /// Drops the connection when the client does not finish the closing handshake in time.
    private var closeTimer: Scheduled<Void>?

    /// Creates the handler for one accepted upgrade.
    ///
    /// - Parameters:
    ///   - request: The upgrade request, as the handler sees it.
    ///   - route: What serves the session.
    ///   - limits: Message limits, keepalive and close timeouts.
    ///   - tasks: Counts the session task this connection starts.
    init(
        request: HTTPRequest,
        route: WebSocketRoute,
        limits: RPCServerConfiguration.WebSocketLimits,
        tasks: HandlerTasks = HandlerTasks()
    ) {
        self.tasks = tasks
        self.request = request
        self.route = route
        self.limits = limits
        self.reader = WebSocketFrameReader(maxMessageBytes: limits.maxMessageBytes)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.startHandler(context: context)
        self.scheduleNextPing(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.connectionEnded()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connectionEnded()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.resumeWriters(nil)
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.state == .open, self.queuedInboundBytes >= self.limits.maxMessageBytes {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is GracefulShutdownEvent {
            self.startClosing(code: .goingAway, reason: "The server is shutting down.", context: context)
        } else if event is IdleStateHandler.IdleStateEvent {
            self.startClosing(code: .goingAway, reason: "The connection was idle for too long.", context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .open = self.state else {
            // Bytes after a failure (the frame decoder reports each read) or after the close.
            return
        }
        guard let frameError = error as? NIOWebSocketError else {
            context.close(promise: nil)
            return
        }
        if frameError == .invalidFrameLength {
            let reason = "A frame is larger than \(self.limits.maxFrameBytes) bytes."
            self.fail(WebSocketFrameReader.Violation(code: .messageTooBig, reason: reason), context: context)
        } else {
            let reason = "Control frames must be unfragmented and at most 125 bytes."
            self.fail(WebSocketFrameReader.Violation(code: .protocolError, reason: reason), context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        switch self.state {
        case .open:
            break
        case .closing:
            // Only the client's close frame matters now; it completes the handshake.
            if frame.opcode == .connectionClose {
                self.state = .closed
                context.close(promise: nil)
            }
            return
        case .closed:
            return
        }
        let action: WebSocketFrameReader.Action
        do {
            action = try self.reader.read(frame)
        } catch {
            self.fail(error, context: context)
            return
        }
        switch action {
        case .none:
            break
        case .deliver(let message):
            self.queuedInboundBytes += message.byteCount
            self.inbound?.yield(message)
        case .replyPong(let payload):
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: payload)
            context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
        case .pongReceived(var payload):
            if payload.readableBytes == 8, payload.readInteger(as: UInt64.self) == self.pingPayload {
                self.pongDeadline?.cancel()
                self.pongDeadline = nil
            }
        case .peerClosed(let code, _):
            self.peerClosed(code: code, context: context)
        }
    }

    // MARK: The handler task

    private func startHandler(context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound(self, eventLoop: loop)
        let (stream, continuation) = AsyncThrowingStream<WebSocketMessage, any Error>.makeStream()
        self.inbound = continuation
        let session = WebSocketSession(
            request: self.request,
            messages: RPCAsyncSequence(wrapping: stream).mapMessages { message in
                Self.onLoop(loop, bound) { $0.messageTaken(bytes: message.byteCount) }
                return message
            },
            send: { message in try await Self.send(message, loop: loop, bound: bound) },
            close: { code, reason in
                await Self.close(code: code, reason: reason, loop: loop, bound: bound)
            }
        )
        let handler = self.route.handler
        let executor = EventLoopTaskExecutor(eventLoop: loop)
        self.task = self.tasks.start(on: executor) {
            await WebSocketConnectionHandler.run(handler, session: session, loop: loop, bound: bound)
        }
    }

    /// Runs the route's handler, then closes: 1000 when it returned, 1011 when it threw.
    private static func run(
        _ handler: WebSocketRoute.Handler,
        session: WebSocketSession,
        loop: any EventLoop,
        bound: NIOLoopBound<WebSocketConnectionHandler>
    ) async {
        let failed: Bool
        do {
            try await handler(session)
            failed = false
        } catch {
            failed = true
        }
        Self.onLoop(loop, bound) { connection in
            guard let context = connection.context else { return }
            if failed {
                connection.startClosing(code: .internalError, reason: "The session's handler failed.", context: context)
            } else {
                connection.startClosing(code: .normalClosure, reason: "", context: context)
            }
        }
    }

    private func messageTaken(bytes: Int) {
        self.queuedInboundBytes -= bytes
        if self.readHeld, self.queuedInboundBytes < self.limits.maxMessageBytes, let context = self.context {
            self.readHeld = false
            context.read()
        }
    }

    /// Runs `body` on the loop: at once when already there, otherwise in a loop task.
    private static func onLoop(
        _ loop: any EventLoop,
        _ bound: NIOLoopBound<WebSocketConnectionHandler>,
        _ body: @escaping @Sendable (WebSocketConnectionHandler) -> Void
    ) {
        if loop.inEventLoop {
            body(bound.value)
        } else {
            loop.execute { body(bound.value) }
        }
    }

    /// Writes one message, then waits while the channel is not writable.
    private static func send(
        _ message: WebSocketMessage,
        loop: any EventLoop,
        bound: NIOLoopBound<WebSocketConnectionHandler>
    ) async throws {
        let mustWait: Bool
        if loop.inEventLoop {
            mustWait = try bound.value.write(message)
        } else {
            mustWait = try await loop.submit { try bound.value.write(message) }.get()
        }
        guard mustWait else { return }
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            Self.onLoop(loop, bound) { handler in
                guard case .open = handler.state, let context = handler.context else {
                    waiter.resume(throwing: Self.closedError)
                    return
                }
                if context.channel.isWritable {
                    waiter.resume()
                } else {
                    handler.blockedWriters.append(waiter)
                }
            }
        }
    }

    private static func close(
        code: WebSocketCloseCode,
        reason: String,
        loop: any EventLoop,
        bound: NIOLoopBound<WebSocketConnectionHandler>
    ) async {
        let close: @Sendable () -> Void = {
            let handler = bound.value
            guard let context = handler.context else { return }
            handler.startClosing(code: code, reason: reason, context: context)
        }
        if loop.inEventLoop {
            close()
        } else {
            try? await loop.submit(close).get()
        }
    }

    /// Writes a message frame and reports whether the sender must wait for writability.
    private func write(_ message: WebSocketMessage) throws -> Bool {
        guard case .open = self.state, let context = self.context else {
            throw Self.closedError
        }
        let frame: WebSocketFrame
        switch message {
        case .text(let text):
            frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(string: text))
        case .binary(let bytes):
            frame = WebSocketFrame(fin: true, opcode: .binary, data: context.channel.allocator.buffer(bytes: bytes))
        }
        context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
        return !context.channel.isWritable
    }

    private static var closedError: RPCError {
        RPCError(code: .unavailable, message: "The WebSocket session is closed.")
    }

    private func resumeWriters(_ error: (any Error)?) {
        let writers = self.blockedWriters
        self.blockedWriters = []
        for writer in writers {
            if let error {
                writer.resume(throwing: error)
            } else {
                writer.resume()
            }
        }
    }

    // MARK: Keepalive

    private func scheduleNextPing(context: ChannelHandlerContext) {
        guard let interval = self.limits.pingInterval, interval > .zero else { return }
        self.pingTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(interval)) {
            self.sendPing()
        }
    }

    private func sendPing() {
        guard case .open = self.state, let context = self.context else { return }
        if self.pongDeadline == nil {
            self.pingPayload &+= 1
            var payload = context.channel.allocator.buffer(capacity: 8)
            payload.writeInteger(self.pingPayload)
            let ping = WebSocketFrame(fin: true, opcode: .ping, data: payload)
            context.writeAndFlush(self.wrapOutboundOut(ping), promise: nil)
            self.pongDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(self.limits.pongTimeout))
            {
                guard let context = self.context else { return }
                let reason = "No pong arrived within \(self.limits.pongTimeout)."
                self.fail(WebSocketFrameReader.Violation(code: .internalError, reason: reason), context: context)
            }
        }
        self.scheduleNextPing(context: context)
    }

    // MARK: Closing

    /// Starts the closing handshake from the server's side: sends a close frame, ends the
    /// inbound messages normally and waits for the client's close frame.
    private func startClosing(code: WebSocketCloseCode, reason: String, context: ChannelHandlerContext) {
        guard case .open = self.state else { return }
        self.state = .closing
        self.stopSession(inboundError: nil)
        self.writeClose(code: code, reason: reason, context: context)
        self.armCloseTimer(context: context)
    }

    /// Fails the connection: sends a close frame with the violation's code, ends the inbound
    /// messages with an error, stops sending (TCP half-close) and drains what the client still
    /// sends until it hangs up, so the close frame is not lost to a reset.
    private func fail(_ violation: WebSocketFrameReader.Violation, context: ChannelHandlerContext) {
        guard case .open = self.state else { return }
        self.state = .closing
        self.stopSession(inboundError: Self.error(for: violation))
        self.writeClose(code: violation.code, reason: violation.reason, context: context)
        context.close(mode: .output, promise: nil)
        self.armCloseTimer(context: context)
    }

    /// The client closed first: answer with its code (RFC 6455 §5.5.1), end the inbound
    /// messages normally, then close the connection (the server closes TCP first, §7.1.1).
    private func peerClosed(code: WebSocketCloseCode?, context: ChannelHandlerContext) {
        self.state = .closed
        self.stopSession(inboundError: nil)
        let payload =
            code.map { WebSocketFrameReader.closePayload(code: $0, reason: "", allocator: context.channel.allocator) }
            ?? context.channel.allocator.buffer(capacity: 0)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(frame)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func writeClose(code: WebSocketCloseCode, reason: String, context: ChannelHandlerContext) {
        let payload = WebSocketFrameReader.closePayload(
            code: code, reason: reason, allocator: context.channel.allocator)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
    }

    private func armCloseTimer(context: ChannelHandlerContext) {
        let channel = context.channel
        self.closeTimer = context.eventLoop.scheduleTask(in: TimeAmount(self.limits.closeTimeout)) {
            channel.close(promise: nil)
        }
    }

    /// Ends the session's inbound side and refuses further sends; keepalive stops.
    private func stopSession(inboundError: RPCError?) {
        if let inbound = self.inbound {
            self.inbound = nil
            if let inboundError {
                inbound.finish(throwing: inboundError)
            } else {
                inbound.finish()
            }
        }
        self.resumeWriters(Self.closedError)
        self.pingTimer?.cancel()
        self.pingTimer = nil
        self.pongDeadline?.cancel()
        self.pongDeadline = nil
        if self.readHeld, let context = self.context {
            // No more messages go to the handler: read on to see the client's close.
            self.readHeld = false
            context.read()
        }
    }

    /// The socket closed (or the handler left the pipeline): stop everything, cancel the task.
    private func connectionEnded() {
        let wasOpen = self.state == .open
        self.state = .closed
        self.stopSession(
            inboundError: wasOpen ? RPCError(code: .unavailable, message: "The client disconnected.") : nil)
        self.closeTimer?.cancel()
        self.closeTimer = nil
        self.task?.cancel()
        self.task = nil
    }

    private static func error(for violation: WebSocketFrameReader.Violation) -> RPCError {
        switch violation.code {
        case .messageTooBig:
            return RPCError(code: .resourceExhausted, message: violation.reason)
        case .internalError:
            return RPCError(code: .unavailable, message: violation.reason)
        default:
            return RPCError(code: .invalidArgument, message: violation.reason)
        }
    }
}

extension WebSocketMessage {
    /// The payload size, for inbound accounting.
    fileprivate var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }
}
