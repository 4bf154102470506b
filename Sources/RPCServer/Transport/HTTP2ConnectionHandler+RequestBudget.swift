internal import NIOCore

/// How request bytes are admitted on a connection: flow-control window is returned to the
/// client only as the application takes bytes, within a per-connection budget, and a request
/// whose bytes stop arriving is refused after the request-body timeout.
///
/// Memory a connection can pin is bounded by the budget, plus the connection's flow-control
/// window (bytes the client may send before it needs window back), plus one body: over the
/// budget, only the oldest stream still waiting for its request bytes gets window back, so
/// concurrent uploads finish one after the other instead of deadlocking.
extension HTTP2ConnectionHandler {
    /// Counts received DATA bytes as held by `stream` and not yet returned to the client.
    func hold(_ stream: HTTP2ServerStream, bytes: Int) {
        stream.heldRequestBytes += bytes
        stream.unconsumedBytes += bytes
        self.heldRequestBytes += bytes
    }

    /// Bytes of `stream` left memory (taken by the handler, or dropped).
    func release(_ stream: HTTP2ServerStream, bytes: Int) {
        let released = min(bytes, stream.heldRequestBytes)
        guard released > 0 else { return }
        stream.heldRequestBytes -= released
        self.heldRequestBytes -= released
        if self.windowWithheld, self.heldRequestBytes <= self.services.configuration.http2.maxBufferedRequestBytes {
            self.returnWithheldWindows()
        }
    }

    /// Everything `stream` holds left memory; its window is returned at once (nothing of it
    /// is buffered any more).
    @inline(__always)
    func releaseAll(_ stream: HTTP2ServerStream) {
        stream.bodyWait = .none
        guard stream.unconsumedBytes > 0 || stream.heldRequestBytes > 0 else { return }
        if stream.unconsumedBytes > 0 {
            self.session?.consume(streamID: stream.streamID, bytes: stream.unconsumedBytes)
            stream.unconsumedBytes = 0
        }
        self.release(stream, bytes: stream.heldRequestBytes)
    }

    /// Returns flow-control window for the bytes `stream` received, unless its handler lags
    /// (more than ``RPCServerConfiguration/RPCLimits/maxBufferedRequestBytes`` queued) or the
    /// connection is over its budget and another stream has been waiting longer.
    func returnWindow(_ stream: HTTP2ServerStream) {
        guard stream.unconsumedBytes > 0 else { return }
        let overBudget = self.heldRequestBytes > self.services.configuration.http2.maxBufferedRequestBytes
        self.returnWindow(stream, oldest: overBudget ? self.oldestStreamAwaitingBytes() : nil, overBudget: overBudget)
    }

    private func returnWindow(_ stream: HTTP2ServerStream, oldest: HTTP2ServerStream?, overBudget: Bool) {
        guard stream.unconsumedBytes > 0,
            stream.queuedRequestBytes <= self.services.configuration.rpc.maxBufferedRequestBytes
        else { return }
        if overBudget && stream !== oldest {
            self.windowWithheld = true
            return
        }
        self.session?.consume(streamID: stream.streamID, bytes: stream.unconsumedBytes)
        stream.unconsumedBytes = 0
    }

    /// Returns the window of every stream that may have it again.
    private func returnWithheldWindows() {
        self.windowWithheld = false
        let overBudget = self.heldRequestBytes > self.services.configuration.http2.maxBufferedRequestBytes
        let oldest = overBudget ? self.oldestStreamAwaitingBytes() : nil
        for stream in self.streams.values where stream.unconsumedBytes > 0 {
            self.returnWindow(stream, oldest: oldest, overBudget: overBudget)
        }
        self.scheduleFlush()
    }

    /// The stream with the lowest id (the oldest) that is still receiving request bytes its
    /// handler is ready for.
    private func oldestStreamAwaitingBytes() -> HTTP2ServerStream? {
        var oldest: HTTP2ServerStream?
        let handlerLimit = self.services.configuration.rpc.maxBufferedRequestBytes
        for stream in self.streams.values
        where !stream.requestEnded && stream.kind != .pending && stream.queuedRequestBytes <= handlerLimit {
            if oldest.map({ stream.streamID < $0.streamID }) ?? true {
                oldest = stream
            }
        }
        return oldest
    }

    // MARK: Request-body timeout

    /// Starts the request-body clock of `stream` from its headers: the rest of its request
    /// (a plain HTTP body, a unary message) must arrive within the timeout. On every unary call:
    /// a byte stored, and a flag tested.
    @inline(__always)
    func beginRequestBodyWait(_ stream: HTTP2ServerStream) {
        stream.bodyWait = .request
        if !self.bodyTimerArmed {
            self.armBodyTimer(firingAt: stream.startedAt + self.services.configuration.requestBodyTimeout)
        }
    }

    /// Starts the clock of the gRPC message `stream` has begun to receive, unless one runs.
    func beginMessageWait(_ stream: HTTP2ServerStream) {
        guard stream.bodyWait == .none else { return }
        let now = ContinuousClock.now
        stream.bodyWait = .message
        stream.messageWaitOffset = now - stream.startedAt
        if !self.bodyTimerArmed {
            self.armBodyTimer(firingAt: now + self.services.configuration.requestBodyTimeout)
        }
    }

    /// Starts the clock of a streamed plain HTTP body again: its next bytes must arrive within
    /// the timeout.
    func restartBodyWait(_ stream: HTTP2ServerStream) {
        let now = ContinuousClock.now
        stream.bodyWait = .message
        stream.messageWaitOffset = now - stream.startedAt
        if !self.bodyTimerArmed {
            self.armBodyTimer(firingAt: now + self.services.configuration.requestBodyTimeout)
        }
    }

    /// Stops the request-body clock of `stream`.
    @inline(__always)
    func endBodyWait(_ stream: HTTP2ServerStream) {
        stream.bodyWait = .none
    }

    /// One timer per connection checks every stream's clock; it is scheduled only when none is
    /// pending, so a connection of quick requests schedules it at most once per timeout.
    private func armBodyTimer(firingAt deadline: ContinuousClock.Instant) {
        guard !self.bodyTimerArmed, let context = self.context else { return }
        self.bodyTimerArmed = true
        let delay = TimeAmount(deadline - .now)
        self.bodyTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.bodyTimer = nil
            self.bodyTimerArmed = false
            self.checkBodyWaits()
        }
    }

    private func checkBodyWaits() {
        let timeout = self.services.configuration.requestBodyTimeout
        let now = ContinuousClock.now
        var next: ContinuousClock.Instant?
        for stream in self.streams.values {
            guard let started = stream.bodyWaitStartedAt else { continue }
            if now - started >= timeout {
                self.refuseSlowBody(stream)
            } else {
                next = min(next ?? started + timeout, started + timeout)
            }
        }
        if let next {
            self.armBodyTimer(firingAt: next)
        }
    }

    /// Ends a request whose bytes did not arrive in time: 408 (plain HTTP) or
    /// `DEADLINE_EXCEEDED` (gRPC), then RST_STREAM so the client stops sending; the stream's
    /// bytes are released and its slot frees.
    private func refuseSlowBody(_ stream: HTTP2ServerStream) {
        let seconds = self.services.configuration.requestBodyTimeout.components.seconds
        let wasGRPC = stream.kind == .grpc
        stream.kind = .pending
        stream.pendingUnary = nil
        self.releaseAll(stream)
        if wasGRPC {
            self.finishCall(
                stream,
                error: RPCError(
                    code: .deadlineExceeded,
                    message: "The request message did not arrive within \(seconds) s."
                )
            )
            stream.task?.cancel()
            self.resetAfterFlush(stream)
        } else {
            stream.resetAfterResponse = true
            if stream.httpBodyContinuation != nil {
                self.endStreamedBody(
                    stream,
                    failure: RPCError(
                        code: .deadlineExceeded, message: "The request body stopped arriving for \(seconds) s."))
                stream.task?.cancel()
            }
            self.respondHTTPError(
                stream, status: 408, message: "The request body did not arrive within \(seconds) s.")
        }
        self.scheduleFlush()
    }

    /// Resets a stream with NO_ERROR once what is queued for it has been written.
    func resetAfterFlush(_ stream: HTTP2ServerStream) {
        guard let loop = self.context?.eventLoop else { return }
        let streamID = stream.streamID
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.execute {
            bound.value.session?.resetStream(streamID: streamID, errorCode: 0)
            bound.value.scheduleFlush()
        }
    }
}
