internal import Synchronization

/// A single-consumer stream of byte chunks whose writer waits while the reader is behind.
///
/// Used where a handler's messages become an HTTP body (REST streams, gRPC-Web): a client that
/// reads slowly suspends the handler's `write` once `limit` bytes are buffered, instead of the
/// server buffering without bound. When the reader goes away (client disconnect) pending and
/// later writes throw `CancellationError`, and ``onTermination`` runs so the producer can be
/// cancelled.
package final class BoundedChunkStream: AsyncSequence, Sendable {
    package typealias Element = [UInt8]
    package typealias Failure = any Error

    private struct State {
        var chunks: [[UInt8]] = []
        var bufferedBytes = 0
        var finished = false
        var failure: (any Error)?
        var terminated = false
        /// Whether ``write(_:)`` added a chunk since the last ``writeIfIdle(_:)``.
        var wroteSinceIdleCheck = false
        var reader: CheckedContinuation<[UInt8]?, any Error>?
        var writers: [CheckedContinuation<Void, any Error>] = []
        var onTermination: (@Sendable () -> Void)?
    }

    private let limit: Int
    private let state = Mutex(State())

    /// Creates a stream.
    ///
    /// - Parameter limit: Buffered bytes above which writers wait.
    package init(limit: Int) {
        self.limit = limit
    }

    /// Runs once when the reader stops early (cancelled or dropped), not on a normal finish.
    package var onTermination: (@Sendable () -> Void)? {
        get { self.state.withLock { $0.onTermination } }
        set { self.state.withLock { $0.onTermination = newValue } }
    }

    /// Adds a chunk, waiting while the buffer is over the limit.
    ///
    /// - Parameter chunk: The bytes.
    /// - Throws: `CancellationError` once the reader has gone.
    package func write(_ chunk: [UInt8]) async throws {
        let (reader, mustWait): (CheckedContinuation<[UInt8]?, any Error>?, Bool) = try self.state.withLock { state in
            guard !state.terminated, !state.finished else { throw CancellationError() }
            state.wroteSinceIdleCheck = true
            if let reader = state.reader {
                state.reader = nil
                return (reader, false)
            }
            state.chunks.append(chunk)
            state.bufferedBytes += chunk.count
            return (nil, state.bufferedBytes > self.limit)
        }
        if let reader {
            reader.resume(returning: chunk)
            return
        }
        guard mustWait else { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let resumeNow: Result<Void, any Error>? = self.state.withLock { state in
                if state.terminated { return .failure(CancellationError()) }
                if state.bufferedBytes <= self.limit { return .success(()) }
                state.writers.append(continuation)
                return nil
            }
            if let resumeNow { continuation.resume(with: resumeNow) }
        }
    }

    /// Adds a chunk without waiting, only when no ``write(_:)`` added one since the previous call
    /// and nothing is buffered: heartbeats on an idle stream, from a ticker shared by every stream.
    ///
    /// - Parameter chunk: The bytes.
    /// - Returns: Whether the stream is still open (a finished or abandoned stream answers `false`).
    @discardableResult
    package func writeIfIdle(_ chunk: [UInt8]) -> Bool {
        let (reader, open): (CheckedContinuation<[UInt8]?, any Error>?, Bool) = self.state.withLock { state in
            guard !state.terminated, !state.finished else { return (nil, false) }
            defer { state.wroteSinceIdleCheck = false }
            guard !state.wroteSinceIdleCheck, state.chunks.isEmpty else { return (nil, true) }
            if let reader = state.reader {
                state.reader = nil
                return (reader, true)
            }
            state.chunks.append(chunk)
            state.bufferedBytes += chunk.count
            return (nil, true)
        }
        reader?.resume(returning: chunk)
        return open
    }

    /// Ends the stream after the buffered chunks, optionally with an error.
    ///
    /// - Parameter error: The error the reader sees after the last chunk, if any.
    package func finish(throwing error: (any Error)? = nil) {
        let reader: CheckedContinuation<[UInt8]?, any Error>? = self.state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            state.failure = error
            // The hook never runs after a normal finish; dropping it ends any reference cycle
            // through what it captured.
            state.onTermination = nil
            defer { state.reader = nil }
            return state.chunks.isEmpty ? state.reader : nil
        }
        if let reader {
            if let error { reader.resume(throwing: error) } else { reader.resume(returning: nil) }
        }
    }

    private func next() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                enum Action {
                    case chunk([UInt8], [CheckedContinuation<Void, any Error>])
                    case end((any Error)?)
                    case wait
                }
                let action: Action = self.state.withLock { state in
                    if !state.chunks.isEmpty {
                        let chunk = state.chunks.removeFirst()
                        state.bufferedBytes -= chunk.count
                        var released: [CheckedContinuation<Void, any Error>] = []
                        if state.bufferedBytes <= self.limit {
                            released = state.writers
                            state.writers = []
                        }
                        return .chunk(chunk, released)
                    }
                    if state.finished || state.terminated {
                        return .end(state.terminated ? CancellationError() : state.failure)
                    }
                    state.reader = continuation
                    return .wait
                }
                switch action {
                case .chunk(let chunk, let released):
                    for writer in released { writer.resume() }
                    continuation.resume(returning: chunk)
                case .end(let error):
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                case .wait:
                    break
                }
            }
        } onCancel: {
            self.terminate()
        }
    }

    /// The reader stopped: fail every waiting writer and the waiting read, run the hook.
    private func terminate() {
        let (reader, writers, hook) = self.state.withLock { state in
            guard !state.terminated else {
                return (
                    CheckedContinuation<[UInt8]?, any Error>?.none, [CheckedContinuation<Void, any Error>](),
                    (@Sendable () -> Void)?.none
                )
            }
            state.terminated = true
            state.chunks = []
            state.bufferedBytes = 0
            defer {
                state.reader = nil
                state.writers = []
                state.onTermination = nil
            }
            return (state.reader, state.writers, state.finished ? nil : state.onTermination)
        }
        reader?.resume(throwing: CancellationError())
        for writer in writers { writer.resume(throwing: CancellationError()) }
        hook?()
    }

    /// Reads the stream's chunks in order.
    package struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let stream: BoundedChunkStream
        fileprivate let reference: IteratorReference

        package mutating func next() async throws -> [UInt8]? {
            try await self.stream.next()
        }
    }

    /// Ends the stream for its writers when the reader's iterator is dropped unfinished.
    fileprivate final class IteratorReference: Sendable {
        let stream: BoundedChunkStream

        init(stream: BoundedChunkStream) {
            self.stream = stream
        }

        deinit {
            self.stream.terminate()
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self, reference: IteratorReference(stream: self))
    }
}
