internal import NIOCore

extension HTTP2ConnectionHandler {
    /// Validates a gRPC request's headers and starts its handler in a task on this loop.
    func startCall(_ stream: HTTP2ServerStream) {
        guard let context = self.context, let executor = self.executor else { return }
        let path = stream.path ?? ""
        guard stream.method == "POST" else {
            self.respondHTTPError(stream, status: 405, message: "gRPC requests must use POST.")
            return
        }
        guard let method = self.route(path) else {
            self.finishCall(stream, error: RPCError(code: .unimplemented, message: "Method not found: \(path)"))
            return
        }
        stream.routed = true
        switch stream.grpcEncoding {
        case nil, "identity":
            break
        case "gzip":
            stream.requestGzip = true
        case let encoding?:
            self.finishCall(
                stream,
                error: RPCError(
                    code: .unimplemented,
                    message: "Message compression '\(encoding)' is not supported.",
                    metadata: ["grpc-accept-encoding": .string("identity,gzip")]
                )
            )
            return
        }
        if let accepted = stream.grpcAcceptEncoding, GRPCAcceptEncoding.listsGzip(accepted) {
            stream.responseGzip = true
        }
        var deadline: ContinuousClock.Instant?
        if let timeoutText = stream.grpcTimeout {
            guard let timeout = GRPCTimeout.parse(Substring(timeoutText)) else {
                self.finishCall(
                    stream,
                    error: RPCError(code: .invalidArgument, message: "Malformed grpc-timeout '\(timeoutText)'.")
                )
                return
            }
            deadline = ContinuousClock.now.advanced(by: timeout)
            stream.deadlineTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
                stream.deadlineTimer = nil
                self.finishCall(stream, error: RPCError(code: .deadlineExceeded, message: "Deadline exceeded"))
                stream.task?.cancel()
            }
        }

        let metadata = GRPCMetadataCodec.metadata(from: stream.headers)
        // Only a trusted proxy's forwarding headers name another client; most calls have none.
        let forwarded = self.peerIsTrustedProxy && (!stream.forwardedFor.isEmpty || stream.realIP != nil)
        let client =
            forwarded
            ? self.services.clientAddresses.client(
                peer: self.peerAddress, forwardedFor: stream.forwardedFor, realIP: stream.realIP)
            : self.peerAddress
        let serverContext = ServerContext(
            descriptor: method.descriptor,
            requestMetadata: metadata,
            peer: self.peer,
            clientAddress: client,
            deadline: deadline,
            requestID: metadata.firstString(forKey: "x-request-id") ?? "",
            connection: self.connectionValues,
            transport: .grpc,
            requestCompression: stream.requestGzip ? RequestCompressionFlag() : nil
        )
        stream.responseMetadata = serverContext.response

        if let unary = method.unaryBody {
            // Unary fast path: collect the one message, then run the handler without streams.
            stream.pendingUnary = HTTP2ServerStream.PendingUnaryCall(
                unary: unary,
                interceptors: method.interceptors,
                context: serverContext
            )
            return
        }

        let (requests, continuation) = AsyncThrowingStream<GRPCMessageDeframer.Message, any Error>.makeStream()
        stream.requestContinuation = continuation
        let loop = context.eventLoop
        let bound = NIOLoopBound(CallEndpoint(connection: self, stream: stream), eventLoop: loop)
        let maxMessageBytes = self.services.configuration.rpc.maxReceiveMessageBytes
        let requestCompression = serverContext.requestCompression
        let requestMessages = RPCAsyncSequence(wrapping: requests).mapMessages { message in
            let wireBytes = message.wireBytes
            CallEndpoint.onLoop(loop, bound) { $0.connection.requestTaken($0.stream, wireBytes: wireBytes) }
            requestCompression?.record(compressed: message.compressed)
            return message.compressed ? try Gzip.decompress(message.bytes, limit: maxMessageBytes) : message.bytes
        }
        let responses = RPCWriter<[UInt8]> { bytes in
            try await CallEndpoint.write(bytes, loop: loop, bound: bound)
        }
        let interceptors = method.interceptors
        // Starts on this loop at once and runs until the handler first suspends (waiting for a
        // request message); it resumes on the loop, its preferred executor.
        stream.task = self.services.tasks.start(on: executor, immediately: true) {
            var failure: RPCError?
            do {
                try await interceptors.run(context: serverContext) { context in
                    try await method.handle(requests: requestMessages, responses: responses, context: context)
                }
            } catch {
                failure = RPCError.from(error)
            }
            let status = failure
            CallEndpoint.onLoop(loop, bound) { $0.connection.finishCall($0.stream, error: status) }
        }
    }

    /// Splits received bytes into messages and hands them to the call.
    func receiveMessageBytes(_ stream: HTTP2ServerStream, bytes: UnsafeRawBufferPointer) {
        defer { self.returnWindow(stream) }
        if stream.pendingUnary != nil {
            self.receiveUnaryBytes(stream, bytes: bytes)
            return
        }
        guard let continuation = stream.requestContinuation else { return }
        do {
            try stream.deframer.process(bytes) { message in
                if message.compressed && !stream.requestGzip {
                    throw RPCError(
                        code: .internalError,
                        message: "A message has the compressed flag set but the request has no grpc-encoding."
                    )
                }
                stream.queuedRequestBytes += message.wireBytes
                continuation.yield(message)
            }
            // A started message must arrive whole within the request-body timeout; between
            // messages a stream may wait as long as it likes.
            if stream.deframer.hasPartialMessage {
                self.beginMessageWait(stream)
            } else {
                stream.bodyWait = .none
            }
        } catch {
            let failure = RPCError.from(error)
            stream.requestContinuation = nil
            continuation.finish(throwing: failure)
            self.finishCall(stream, error: failure)
            stream.task?.cancel()
        }
    }

    /// Collects the one request message of a unary call.
    private func receiveUnaryBytes(_ stream: HTTP2ServerStream, bytes: UnsafeRawBufferPointer) {
        do {
            try stream.deframer.process(bytes) { message in
                guard stream.unaryRequest == nil else {
                    throw RPCError(
                        code: .internalError,
                        message:
                            "\(stream.path ?? "") expects exactly one request message; the client sent more."
                    )
                }
                var payload = message.bytes
                if message.compressed {
                    guard stream.requestGzip else {
                        throw RPCError(
                            code: .internalError,
                            message: "A message has the compressed flag set but the request has no grpc-encoding."
                        )
                    }
                    payload = try Gzip.decompress(
                        payload, limit: self.services.configuration.rpc.maxReceiveMessageBytes)
                    stream.pendingUnary?.context.requestCompression?.record(compressed: true)
                }
                stream.unaryRequest = payload
            }
        } catch {
            stream.pendingUnary = nil
            self.finishCall(stream, error: RPCError.from(error))
        }
    }

    /// Runs a unary call whose request is complete: one task started in place, no streams.
    private func runUnary(_ stream: HTTP2ServerStream) {
        guard let context = self.context, let executor = self.executor, let pending = stream.pendingUnary.take()
        else { return }
        guard let request = stream.unaryRequest, !stream.deframer.hasPartialMessage else {
            let message =
                stream.deframer.hasPartialMessage
                ? "The request ended inside a message."
                : "\(pending.context.descriptor.path) expects exactly one request message; the client sent none."
            self.finishCall(stream, error: RPCError(code: .internalError, message: message))
            return
        }
        stream.unaryRequest = nil
        // The request now belongs to the handler.
        self.releaseAll(stream)
        let loop = context.eventLoop
        let bound = NIOLoopBound(CallEndpoint(connection: self, stream: stream), eventLoop: loop)
        let (unary, interceptors, serverContext) = (pending.unary, pending.interceptors, pending.context)
        // Runs the handler right here, on the loop, until it first suspends: a handler that
        // answers without waiting is answered within this read, with no task hop at all.
        // Not `tasks.start`: its closure around `operation` costs an allocation per call, and
        // this is the path every unary call takes.
        let handlerTasks = self.services.tasks
        handlerTasks.begin()
        stream.task = Task.immediate(executorPreference: executor) {
            defer { handlerTasks.end() }
            let outcome = await CallEndpoint.respond(
                to: request, unary: unary, interceptors: interceptors, context: serverContext)
            CallEndpoint.deliver(outcome, loop: loop, bound: bound)
        }
    }

    /// Sends a unary call's response (or error) and status.
    func completeUnary(_ stream: HTTP2ServerStream, with outcome: Result<[UInt8], RPCError>) {
        switch outcome {
        case .success(let response):
            _ = try? self.enqueueResponse(stream, bytes: response)
            self.finishCall(stream, error: nil)
        case .failure(let error):
            self.finishCall(stream, error: error)
        }
    }

    /// The client finished sending: ends the handler's request stream.
    func endRequestMessages(_ stream: HTTP2ServerStream) {
        if stream.pendingUnary != nil {
            self.runUnary(stream)
            return
        }
        guard let continuation = stream.requestContinuation else { return }
        stream.requestContinuation = nil
        if stream.deframer.hasPartialMessage {
            let failure = RPCError(code: .internalError, message: "The request ended inside a message.")
            continuation.finish(throwing: failure)
            self.finishCall(stream, error: failure)
        } else {
            continuation.finish()
        }
    }

    /// The handler took a message: its bytes leave the budget and may be re-opened for the
    /// client.
    func requestTaken(_ stream: HTTP2ServerStream, wireBytes: Int) {
        guard !stream.closed else { return }
        stream.queuedRequestBytes = max(0, stream.queuedRequestBytes - wireBytes)
        self.release(stream, bytes: wireBytes)
        self.returnWindow(stream)
        if stream.httpBodyContinuation != nil, !stream.requestEnded, stream.unconsumedBytes == 0 {
            self.restartBodyWait(stream)
        }
        self.scheduleFlush()
    }

    /// Queues one response message.
    ///
    /// - Returns: Whether the writer should wait for the stream to drain.
    /// - Throws: ``RPCError`` `cancelled` when the stream is closed or the call already ended.
    func enqueueResponse(_ stream: HTTP2ServerStream, bytes: [UInt8]) throws -> Bool {
        guard !stream.closed, !stream.responseFinished, let session = self.session else {
            throw RPCError(code: .cancelled, message: "The call has ended.")
        }
        if stream.responseGzip,
            (stream.responseMetadata?.messageCompression ?? .automatic).compresses(
                messageBytes: bytes.count, minimumBytes: self.services.configuration.rpc.minCompressedResponseBytes)
        {
            stream.outbound.appendMessage(try Gzip.compress(bytes), compressed: true)
        } else {
            stream.outbound.appendMessage(bytes, compressed: false)
        }
        if stream.headersSent {
            session.resumeBody(streamID: stream.streamID)
        } else {
            stream.headersSent = true
            var headers = stream.responseGzip ? GRPCResponseHeaders.gzipResponse : GRPCResponseHeaders.response
            if let initial = stream.responseMetadata?.initial, !initial.isEmpty {
                headers += GRPCMetadataCodec.headers(from: initial)
            }
            do {
                try session.submitResponse(streamID: stream.streamID, headers: headers, hasBody: true)
            } catch {
                throw RPCError(code: .internalError, message: "The response could not be started.")
            }
        }
        self.scheduleFlush()
        return stream.outbound.readableBytes > self.services.configuration.rpc.maxBufferedResponseBytes
    }

    /// Whether a writer should keep waiting for the stream to drain.
    func writerMustWait(_ stream: HTTP2ServerStream) -> Bool {
        !stream.closed && stream.outbound.readableBytes > self.services.configuration.rpc.maxBufferedResponseBytes / 2
    }

    /// Ends a call with a status: in the trailers after the queued messages, or as a
    /// trailers-only response when nothing was sent yet. Later calls do nothing.
    func finishCall(_ stream: HTTP2ServerStream, error: RPCError?) {
        guard !stream.closed, !stream.responseFinished, let session = self.session else { return }
        stream.responseFinished = true
        self.services.metrics.callFinished(
            path: stream.routed ? (stream.path ?? "") : RPCServerMetricsLabel.unknownMethod,
            code: error?.code ?? .ok,
            transport: .grpc,
            duration: ContinuousClock.now - stream.startedAt
        )
        stream.deadlineTimer?.cancel()
        stream.deadlineTimer = nil
        var trailers = GRPCResponseHeaders.okTrailers
        if let error {
            trailers = [("grpc-status", String(error.code.rawValue))]
            if !error.message.isEmpty {
                trailers.append(("grpc-message", GRPCStatusMessage.encode(error.message)))
            }
            trailers += GRPCMetadataCodec.headers(from: error.metadata)
        }
        if let trailing = stream.responseMetadata?.trailing, !trailing.isEmpty {
            trailers += GRPCMetadataCodec.headers(from: trailing)
        }
        if stream.headersSent {
            stream.pendingTrailers = trailers
            session.resumeBody(streamID: stream.streamID)
        } else {
            stream.headersSent = true
            var headers = GRPCResponseHeaders.response
            if let initial = stream.responseMetadata?.initial, !initial.isEmpty {
                headers += GRPCMetadataCodec.headers(from: initial)
            }
            try? session.submitResponse(streamID: stream.streamID, headers: headers + trailers, hasBody: false)
        }
        if let continuation = stream.requestContinuation, error != nil {
            stream.requestContinuation = nil
            continuation.finish(throwing: RPCError(code: .cancelled, message: "The call has ended."))
        }
        // Request bytes still held (queued messages, a partial one) are of no use any more.
        stream.queuedRequestBytes = 0
        self.releaseAll(stream)
        self.scheduleFlush()
    }

    static func peer(of channel: any Channel) -> String {
        channel.remoteAddress.map(\.peerText) ?? "unknown"
    }
}

/// A call's connection and stream, carried into its task as one loop-bound value.
struct CallEndpoint {
    let connection: HTTP2ConnectionHandler
    let stream: HTTP2ServerStream

    /// Completes a unary call on its loop: at once when already there (the handler did not
    /// suspend, or resumed on the loop), otherwise in a loop task.
    static func deliver(
        _ outcome: Result<[UInt8], RPCError>,
        loop: any EventLoop,
        bound: NIOLoopBound<CallEndpoint>
    ) {
        if loop.inEventLoop {
            bound.value.connection.completeUnary(bound.value.stream, with: outcome)
        } else {
            loop.execute { bound.value.connection.completeUnary(bound.value.stream, with: outcome) }
        }
    }

    /// Runs a unary handler behind its interceptors.
    static func respond(
        to request: [UInt8],
        unary: @Sendable ([UInt8], ServerContext) async throws -> [UInt8],
        interceptors: [any ServerInterceptor],
        context: ServerContext
    ) async -> Result<[UInt8], RPCError> {
        do {
            // The chain's immediate decisions (all of them, on the hot path) run before any
            // async frame of the chain: then the handler is called directly.
            var context = context
            let suspending = try interceptors.proceedImmediately(&context)
            if suspending == interceptors.count {
                return .success(try await unary(request, context))
            }
            var response: [UInt8] = []
            try await interceptors.run(suspendingAt: suspending, context: context) { context in
                response = try await unary(request, context)
            }
            return .success(response)
        } catch {
            return .failure(RPCError.from(error))
        }
    }

    /// Runs `body` on the loop: at once when already there, otherwise in a loop task.
    static func onLoop(
        _ loop: any EventLoop,
        _ bound: NIOLoopBound<CallEndpoint>,
        _ body: @escaping @Sendable (CallEndpoint) -> Void
    ) {
        if loop.inEventLoop {
            body(bound.value)
        } else {
            loop.execute { body(bound.value) }
        }
    }

    /// Queues one response message, waiting while the stream holds too many unsent bytes.
    static func write(_ bytes: [UInt8], loop: any EventLoop, bound: NIOLoopBound<CallEndpoint>) async throws {
        try await Self.enqueue(loop: loop, bound: bound) { endpoint in
            try endpoint.connection.enqueueResponse(endpoint.stream, bytes: bytes)
        }
    }

    /// Queues raw body bytes of a streamed HTTP response, with the same backpressure.
    static func writeRaw(_ bytes: [UInt8], loop: any EventLoop, bound: NIOLoopBound<CallEndpoint>) async throws {
        try await Self.enqueue(loop: loop, bound: bound) { endpoint in
            try endpoint.connection.enqueueRawBody(endpoint.stream, bytes: bytes)
        }
    }

    private static func enqueue(
        loop: any EventLoop,
        bound: NIOLoopBound<CallEndpoint>,
        _ body: @escaping @Sendable (CallEndpoint) throws -> Bool
    ) async throws {
        let mustWait: Bool
        if loop.inEventLoop {
            mustWait = try body(bound.value)
        } else {
            mustWait = try await loop.submit { try body(bound.value) }.get()
        }
        guard mustWait else { return }
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
            Self.onLoop(loop, bound) { endpoint in
                if endpoint.stream.closed {
                    waiter.resume(throwing: RPCError(code: .cancelled, message: "The client cancelled the call."))
                } else if endpoint.connection.writerMustWait(endpoint.stream) {
                    endpoint.stream.writerWaiter = waiter
                } else {
                    waiter.resume()
                }
            }
        }
    }
}
