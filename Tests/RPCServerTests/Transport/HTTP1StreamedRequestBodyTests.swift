import NIOCore
import NIOPosix
import RPCServer
import Testing

@Suite("HTTP/1.1: request bodies streamed to their responder")
struct HTTP1StreamedRequestBodyTests {
    /// What the responder saw of a body.
    enum Seen: Sendable, Equatable {
        /// Bytes received so far.
        case received(Int)
        /// The body ended normally after this many bytes.
        case ended(Int)
        /// Reading the body threw this status.
        case failed(RPCError.Code)
    }

    /// How the responder treats the body.
    enum Mode: Sendable {
        /// Answers with the size of the first chunk, reading no further.
        case firstChunk
        /// Reads everything, answers its length and FNV-1a hash.
        case readAll
        /// Answers 401 without reading anything.
        case refuseAtOnce
    }

    /// A responder of routes that stream their bodies.
    struct StreamingResponder: HTTPResponder {
        let mode: Mode
        let seen: AsyncStream<Seen>.Continuation

        func streamsRequestBody(method: String, target: String) -> Bool { true }

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            guard let body = request.bodyStream else {
                return .json(status: 500, #"{"error":"the body was not streamed"}"#)
            }
            switch self.mode {
            case .refuseAtOnce:
                return .json(status: 401, #"{"error":"no key"}"#)
            case .firstChunk:
                var chunks = body.makeAsyncIterator()
                let first = (try? await chunks.next())?.count ?? -1
                return .json(status: 200, #"{"first":\#(first)}"#)
            case .readAll:
                var total = 0
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325
                do {
                    for try await chunk in body {
                        for byte in chunk { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
                        total += chunk.count
                        self.seen.yield(.received(total))
                    }
                    self.seen.yield(.ended(total))
                    return .json(status: 200, #"{"bytes":\#(total),"hash":\#(hash)}"#)
                } catch {
                    self.seen.yield(.failed(RPCError.from(error).code))
                    return .json(status: 500, #"{"error":"failed"}"#)
                }
            }
        }
    }

    @Test("A streamed body reaches its responder before the request has ended")
    func bodyArrivesBeforeItEnds() async throws {
        let (_, seen) = AsyncStream<Seen>.makeStream()
        let response = try await RunningServer.with(responder: StreamingResponder(mode: .firstChunk, seen: seen)) {
            port in
            // No last chunk: a transport that collected the body first would never answer.
            try await RawHTTPClient.exchange(
                "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                port: port, until: "}")
        }

        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.hasSuffix(#"{"first":5}"#))
    }

    @Test("A streamed body larger than the read-ahead arrives whole and in order")
    func wholeBodyInOrder() async throws {
        let (_, seen) = AsyncStream<Seen>.makeStream()
        // Three times the megabyte read ahead: reading pauses and resumes on the way.
        let bytes: [UInt8] = (0..<3_000_000).map { (index: Int) -> UInt8 in
            let mixed: Int = (index &* 31) ^ (index >> 9)
            return UInt8(0x40 | (mixed & 0x3F))
        }
        var expected: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { expected = (expected ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let text = String(decoding: bytes, as: UTF8.self)

        let response = try await RunningServer.with(
            responder: StreamingResponder(mode: .readAll, seen: seen), maxRequestBodyBytes: 4_000_000
        ) { port in
            try await RawHTTPClient.exchange(
                "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(text.utf8.count)\r\nConnection: close\r\n\r\n"
                    + text,
                port: port)
        }

        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.hasSuffix(#"{"bytes":3000000,"hash":\#(expected)}"#))
    }

    @Test("A streamed body that grows past its limit is answered 413 and its reader sees RESOURCE_EXHAUSTED")
    func oversizedStreamedBody() async throws {
        let (events, seen) = AsyncStream<Seen>.makeStream()
        let chunk = String(repeating: "y", count: 600)
        let response = try await RunningServer.with(
            responder: StreamingResponder(mode: .readAll, seen: seen), maxRequestBodyBytes: 1024
        ) { port in
            try await RawHTTPClient.exchange(
                "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n",
                port: port, until: "\"details\":[]}}")
        }

        #expect(response.hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(response.contains("larger than the limit of 1024 bytes"))
        let outcome = await Self.outcome(of: events)
        #expect(outcome == .failed(.resourceExhausted))
    }

    @Test("An answer given before the body has arrived reaches the client, and the connection then closes")
    func earlyAnswer() async throws {
        let (_, seen) = AsyncStream<Seen>.makeStream()
        let body = String(repeating: "z", count: 2_000_000)
        let response = try await RunningServer.with(
            responder: StreamingResponder(mode: .refuseAtOnce, seen: seen), maxRequestBodyBytes: 4_000_000
        ) { port in
            // Keep-alive asked for: the server still closes, since it did not read the body.
            try await RawHTTPClient.exchange(
                "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n\(body)", port: port)
        }

        #expect(response.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        #expect(response.contains("connection: close\r\n"))
        #expect(response.hasSuffix(#"{"error":"no key"}"#))
    }

    @Test("A client that goes away mid-body ends the responder's body with CANCELLED")
    func clientGoesAway() async throws {
        let (events, seen) = AsyncStream<Seen>.makeStream()
        let (first, last) = try await RunningServer.with(responder: StreamingResponder(mode: .readAll, seen: seen)) {
            port in
            var iterator = events.makeAsyncIterator()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.writeAndFlush(
                ByteBuffer(string: "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789")
            ).get()
            let first = await iterator.next()
            try await channel.close()
            let last = await iterator.next()
            return (first, last)
        }
        #expect(first == .received(10))
        #expect(last == .failed(.cancelled))
    }

    /// The first end (normal or failed) the responder reports.
    private static func outcome(of events: AsyncStream<Seen>) async -> Seen? {
        for await event in events {
            if case .received = event { continue }
            return event
        }
        return nil
    }
}
