internal import NIOCore

extension HTTP2ConnectionHandler {
    /// Hands a complete plain HTTP request (the REST face over HTTP/2) to the responder.
    func startHTTPRequest(_ stream: HTTP2ServerStream) {
        guard let context = self.context, let executor = self.executor else { return }
        let request = HTTPRequest(
            method: stream.method ?? "GET",
            target: stream.path ?? "/",
            headers: stream.headers.compactMap { $0.role.isPseudo ? nil : ($0.name, $0.value) },
            body: Array(stream.httpBody.readableBytesView),
            peer: self.peer,
            peerAddress: self.peerAddress
        )
        stream.httpBody = ByteBuffer()
        self.releaseAll(stream)
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
                do {
                    for try await chunk in bodyStream {
                        try await CallEndpoint.writeRaw(chunk, loop: loop, bound: bound)
                    }
                } catch {
                    // The client went away or the producer failed: the stream is reset below.
                }
                CallEndpoint.onLoop(loop, bound) { $0.connection.endRawBody($0.stream) }
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

    /// Answers a stream with an HTTP error in the one JSON error shape.
    /// Answers 413 before the body is read; once the answer has gone out the stream is reset
    /// with NO_ERROR so the client stops sending (RFC 9113 §8.1). Resetting earlier would
    /// discard the queued answer.
    func rejectOversizedBody(_ stream: HTTP2ServerStream) {
        stream.kind = .pending
        stream.httpBody = ByteBuffer()
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
