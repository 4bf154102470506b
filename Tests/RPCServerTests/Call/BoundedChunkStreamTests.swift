import RPCServer
import Synchronization
import Testing

@Suite("Bounded chunk stream: writers wait for a slow reader")
struct BoundedChunkStreamTests {
    /// Counts writes that returned.
    final class Progress: Sendable {
        let written = Mutex(0)
    }

    @Test("A writer over the limit waits until the reader takes chunks")
    func writerWaitsForReader() async throws {
        let stream = BoundedChunkStream(limit: 4)
        let progress = Progress()
        let writer = Task {
            for index in 0..<10 {
                try await stream.write([UInt8(index), 0, 0])
                progress.written.withLock { $0 += 1 }
            }
            stream.finish()
        }
        // The second write passes the 4-byte limit and must wait: poll until the writer stalls.
        let deadline = ContinuousClock.now + .seconds(10)
        while progress.written.withLock({ $0 }) < 1, ContinuousClock.now < deadline { await Task.yield() }
        for _ in 0..<1000 { await Task.yield() }
        #expect(progress.written.withLock { $0 } < 10)

        var received: [UInt8] = []
        for try await chunk in stream {
            received.append(chunk[0])
        }
        try await writer.value

        #expect(received == Array(0..<10))
        #expect(progress.written.withLock { $0 } == 10)
    }

    @Test("A reader that stops fails the waiting writer and runs the termination hook")
    func readerCancellation() async throws {
        let stream = BoundedChunkStream(limit: 1)
        let terminated = Mutex(false)
        stream.onTermination = { terminated.withLock { $0 = true } }
        let writer = Task {
            while true {
                try await stream.write([1, 2])
            }
        }
        let reader = Task {
            for try await _ in stream {}
        }
        reader.cancel()
        _ = await reader.result

        await #expect(throws: CancellationError.self) { try await writer.value }
        #expect(terminated.withLock { $0 })
    }

    @Test("An error given to finish reaches the reader after the buffered chunks")
    func finishWithError() async throws {
        struct Failure: Error {}
        let stream = BoundedChunkStream(limit: 100)
        try await stream.write([7])
        stream.finish(throwing: Failure())

        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next() == [7])
        await #expect(throws: Failure.self) { _ = try await iterator.next() }
    }
}

@Suite("Bounded chunk stream: heartbeats only on an idle stream")
struct BoundedChunkStreamIdleTests {
    @Test("writeIfIdle adds its chunk only when nothing was written since the previous check")
    func onlyWhenIdle() async throws {
        let stream = BoundedChunkStream(limit: 1024)
        #expect(stream.writeIfIdle([0]))
        try await stream.write([1])
        #expect(stream.writeIfIdle([0]))  // skipped: [1] was written since the last check
        #expect(stream.writeIfIdle([0]))  // skipped: [1] is still buffered
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next() == [0])
        #expect(try await iterator.next() == [1])
        #expect(stream.writeIfIdle([0]))  // idle and drained: sent
        #expect(try await iterator.next() == [0])
        stream.finish()
        #expect(try await iterator.next() == nil)
        #expect(!stream.writeIfIdle([0]))
    }

    @Test("Heartbeats do not count as activity: an idle stream gets one at every check")
    func repeatedHeartbeats() async throws {
        let stream = BoundedChunkStream(limit: 1024)
        var iterator = stream.makeAsyncIterator()
        for _ in 0..<3 {
            #expect(stream.writeIfIdle([9]))
            #expect(try await iterator.next() == [9])
        }
    }
}

@Suite("Bounded chunk stream: the termination hook never keeps the stream alive")
struct BoundedChunkStreamHookTests {
    @Test("A hook that captures its stream is dropped at finish, so the stream is freed")
    func finishDropsHook() {
        weak var weakStream: BoundedChunkStream?
        do {
            let stream = BoundedChunkStream(limit: 16)
            stream.onTermination = { _ = stream.writeIfIdle([]) }
            weakStream = stream
            stream.finish()
        }
        #expect(weakStream == nil)
    }

    @Test("A hook that captures its stream runs once when the reader goes away, then the stream is freed")
    func terminationDropsHook() {
        weak var weakStream: BoundedChunkStream?
        let runs = Mutex(0)
        do {
            let stream = BoundedChunkStream(limit: 16)
            stream.onTermination = {
                runs.withLock { $0 += 1 }
                _ = stream.writeIfIdle([])
            }
            weakStream = stream
            _ = stream.makeAsyncIterator()  // dropped at once: the reader has gone
        }
        #expect(runs.withLock { $0 } == 1)
        #expect(weakStream == nil)
    }
}
