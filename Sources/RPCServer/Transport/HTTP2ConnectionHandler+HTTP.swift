internal import NIOCore

extension HTTP2ConnectionHandler {
    /// Hands a complete plain HTTP request (the REST face over HTTP/2) to the responder.
    func startHTTPRequest(_ stream: HTTP2ServerStream) {
        let request = self.makeHTTPRequest(stream, body: Array(stream.httpBody.readableBytesView))
        stream.httpBody = ByteBuffer()
        self.releaseAll(stream)
        self.respond(to: request, on: stream)
    }

    /// Hands a plain HTTP request to the responder once its headers are in, with its body to
    /// follow as it arrives (``HTTPRequest/bodyStream``). Flow-control window goes back to the
    /// client as the responder takes the bytes (``requestTaken(_:wireBytes:)``), so a body is
    /// never buffered further ahead than the handler's share; the request-body clock restarts
    /// whenever bytes arrive or are taken.
    func startStreamedHTTPRequest(_ stream: HTTP2ServerStream) {
        guard let loop = self.context?.eventLoop else { return }
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        stream.httpBodyContinuation = continuation
        let bound = NIOLoopBound(CallEndpoint(connection: self, stream: stream), eventLoop: loop)
        var request = self.makeHTTPRequest(stream, body: [])
        request.bodyStream = RPCAsyncSequence(wrapping: chunks).mapMessages { chunk in
            let count = chunk.count
            CallEndpoint.onLoop(loop, bound) { $0.connection.requestTaken($0.stream, wireBytes: count) }
            return chunk
        }
        self.restartBodyWait(stream)
        self.respond(to: request, on: stream)
    }

    /// Passes received bytes of a streamed body on, or refuses the body once it passes its limit.
    func receiveStreamedBody(_ stream: HTTP2ServerStream, bytes: UnsafeRawBufferPointer) {
        guard let continuation = stream.httpBodyContinuation else { return }
        stream.httpBodyReceived += bytes.count
        guard stream.httpBodyReceived <= stream.httpBodyLimit else {
            self.session?.consume(streamID: stream.streamID, bytes: bytes.count)
            self.endStreamedBody(stream, failure: Self.oversizedBodyError(limit: stream.httpBodyLimit))
            stream.task?.cancel()
            self.rejectOversizedBody(stream)
            return
        }
        self.hold(stream, bytes: bytes.count)
        stream.queuedRequestBytes += bytes.count
        continuation.yield(Array(bytes))
        self.returnWindow(stream)
        if stream.unconsumedBytes > 0 {
            // Window withheld: the responder is behind, the client is not to blame for waiting.
            self.endBodyWait(stream)
        } else {
            self.restartBodyWait(stream)
        }
    }

    /// Ends the body stream of `stream`, if one is open, with `failure` (or normally).
    func endStreamedBody(_ stream: HTTP2ServerStream, failure: RPCError?) {
        guard let continuation = stream.httpBodyContinuation else { return }
        stream.httpBodyContinuation = nil
        if let failure {
            continuation.finish(throwing: failure)
        } else {
            continuation.finish()
        }
    }

    /// Bytes of a streamed body answered early that are read and dropped before its stream is reset.
    static let maximumDrainedBodyBytes = 64 * 1024 * 1024

    /// The error a body over its limit ends with.
    static func oversizedBodyError(limit: Int) -> RPCError {
        RPCError(code: .resourceExhausted, message: "The request body is larger than the limit of \(limit) bytes.")
    }

    private func makeHTTPRequest(_ stream: HTTP2ServerStream, body: [UInt8]) -> HTTPRequest {
        HTTPRequest(
            method: stream.method ?? "GET",
            target: stream.path ?? "/",
            headers: stream.headers.compactMap { $0.role.isPseudo ? nil : ($0.name, $0.value) },
            body: body,
            peer: self.peer,
            peerAddress: self.peerAddress
        )
    }

    /// Runs the responder for `request` in a task and sends its answer on `stream`.
    private func respond(to request: HTTPRequest, on stream: HTTP2ServerStream) {
        guard let context = self.context, let executor = self.executor else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound(CallEndpoint(connection: self, stream: stream), eventLoop: loop)
        let responder = self.services.responder
        stream.task = self.services.tasks.start(on: executor) {
            let response = await responder.respond(to: request)
            CallEndpoint.onLoop(loop, bound) { endpoint in
                endpoint.connection.sendHTTPResponse(
                    endpoint.stream, response: response, isHead: request.method == "HEAD")
            }
        }
    }

    /// Sends a plain HTTP response on a stream. A streamed body that will not be sent (the
    /// stream has closed, or the request is HEAD) is released at once (``release(_:)``).
    func sendHTTPResponse(_ stream: HTTP2ServerStream, response: HTTPResponse, isHead: Bool) {
        guard !stream.closed, !stream.headersSent, let session = self.session else {
            Self.release(response.bodyStream)
            return
        }
        stream.headersSent = true
        stream.responseFinished = true
        if stream.httpBodyContinuation != nil {
            // Answered before its streamed body ended: the rest is read and dropped, up to a
            // limit past which the stream is reset so the client stops sending.
            self.endStreamedBody(stream, failure: RPCError(code: .cancelled, message: "The request was answered."))
            stream.kind = .pending
            self.releaseAll(stream)
            stream.drainingBytesLeft = stream.requestEnded ? nil : Self.maximumDrainedBodyBytes
        }
        var headers: [(name: String, value: String)] = [(":status", String(response.status))]
        for (name, value) in response.headers {
            let lowered = name.lowercased()
            guard !["connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"].contains(lowered)
            else { continue }
            headers.append((lowered, value))
        }
        let bodyStream = isHead ? nil : response.bodyStream
        if isHead {
            Self.release(response.bodyStream)
        }
        if bodyStream == nil {
            headers.append(("content-length", String(response.body.count)))
        }
        let hasBody = !isHead && (!response.body.isEmpty || bodyStream != nil)
        if hasBody {
            stream.outbound.appendRaw(response.body)
            stream.endsWithoutTrailers = bodyStream == nil
        }
        try? session.submitResponse(streamID: stream.streamID, headers: headers, hasBody: hasBody)
        self.scheduleFlush()
        if let bodyStream, let context = self.context, let executor = self.executor {
            let loop = context.eventLoop
            let bound = NIOLoopBound(CallEndpoint(connection: self, stream: stream), eventLoop: loop)
            stream.task = self.services.tasks.start(on: executor) {
                var completed = true
                do {
                    for try await chunk in bodyStream {
                        try await CallEndpoint.writeRaw(chunk, loop: loop, bound: bound)
                    }
                } catch {
                    // The client went away, or the producer failed: a body cut short is reset,
                    // so the client cannot take it for a whole one.
                    completed = false
                }
                let finished = completed
                CallEndpoint.onLoop(loop, bound) { endpoint in
                    if finished {
                        endpoint.connection.endRawBody(endpoint.stream)
                    } else {
                        endpoint.connection.resetRawBody(endpoint.stream)
                    }
                }
            }
        }
    }

    /// Lets the producer of a streamed body that nobody will read go: a body learns that its
    /// reader has gone when the reader's iterator ends, which is what fails the writer of a
    /// `BoundedChunkStream` (REST and gRPC-Web streams) and cancels the handler behind it. Without
    /// a reader at all, that producer would wait for room in the buffer forever, keeping itself and
    /// the buffer alive. So the body gets an iterator that ends here, unread.
    private static func release(_ body: RPCAsyncSequence<[UInt8]>?) {
        _ = body?.makeAsyncIterator()
    }

    /// Queues raw body bytes of a streamed HTTP response.
    ///
    /// - Returns: Whether the producer should wait for the stream to drain.
    func enqueueRawBody(_ stream: HTTP2ServerStream, bytes: [UInt8]) throws -> Bool {
        guard !stream.closed, let session = self.session else {
            throw RPCError(code: .cancelled, message: "The request has ended.")
        }
        stream.outbound.appendRaw(bytes)
        session.resumeBody(streamID: stream.streamID)
        self.scheduleFlush()
        return stream.outbound.readableBytes > self.services.configuration.rpc.maxBufferedResponseBytes
    }

    /// Ends a streamed HTTP response once its queued bytes are sent.
    func endRawBody(_ stream: HTTP2ServerStream) {
        guard !stream.closed else { return }
        stream.endsWithoutTrailers = true
        self.session?.resumeBody(streamID: stream.streamID)
        self.scheduleFlush()
    }

    /// Ends a streamed HTTP response whose body failed: RST_STREAM INTERNAL_ERROR.
    func resetRawBody(_ stream: HTTP2ServerStream) {
        guard !stream.closed else { return }
        self.session?.resetStream(streamID: stream.streamID, errorCode: 2)
        self.scheduleFlush()
    }

    /// Answers a stream with an HTTP error in the one JSON error shape.
    /// Answers 413 before the body is read; once the answer has gone out the stream is reset
    /// with NO_ERROR so the client stops sending (RFC 9113 §8.1). Resetting earlier would
    /// discard the queued answer.
    func rejectOversizedBody(_ stream: HTTP2ServerStream) {
        stream.kind = .pending
        stream.httpBody = ByteBuffer()
        self.endStreamedBody(stream, failure: Self.oversizedBodyError(limit: stream.httpBodyLimit))
        self.releaseAll(stream)
        stream.resetAfterResponse = !stream.requestEnded
        self.respondHTTPError(
            stream,
            status: 413,
            message: "The request body is larger than the limit of \(stream.httpBodyLimit) bytes."
        )
    }

    func respondHTTPError(_ stream: HTTP2ServerStream, status: Int, message: String) {
        // 405 has no RPC equivalent; 408 is a request that ran out of time, as gRPC's
        // DEADLINE_EXCEEDED; 413 and 431 are size limits.
        let name =
            switch status {
            case 405: "METHOD_NOT_ALLOWED"
            case 408: "DEADLINE_EXCEEDED"
            default: "RESOURCE_EXHAUSTED"
            }
        self.sendHTTPResponse(
            stream,
            response: HTTPResponse.error(status: status, statusName: name, message: message),
            isHead: false
        )
    }
}
