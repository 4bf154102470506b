import EchoFixture
import RESTBridge
import RPCServer
import Testing

@Suite("REST streams: Server-Sent Events and newline-delimited JSON")
struct RESTStreamingTests {
    @Test("Accept: text/event-stream gets events with id, event name and JSON data")
    func serverSentEvents() async throws {
        let response = try await EchoGateway().send(
            "GET", "/v1/echo/hi/expand?repeat=2", headers: [("accept", "text/event-stream")])

        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/event-stream; charset=utf-8")
        #expect(response.header("cache-control") == "no-cache")
        let text = try await response.collectStream()
        let events = text.split(separator: "\n\n").map(String.init)
        #expect(events.count == 2)
        #expect(events.first?.hasPrefix("id: 0\nevent: echoed\ndata: {\"text\":\"hi\"") == true)
        #expect(events.last?.hasPrefix("id: 1\nevent: echoed\ndata: {\"text\":\"hi\",\"index\":1") == true)
    }

    @Test("Last-Event-ID resumes after that event")
    func resumeWithLastEventID() async throws {
        let response = try await EchoGateway().send(
            "GET", "/v1/echo/hi/expand?repeat=4",
            headers: [("accept", "text/event-stream"), ("last-event-id", "1")])

        let ids = try await response.collectStream().split(separator: "\n").filter { $0.hasPrefix("id: ") }

        #expect(ids == ["id: 2", "id: 3"])
    }

    @Test("Without text/event-stream a stream is newline-delimited JSON")
    func ndjson() async throws {
        let response = try await EchoGateway().send("GET", "/v1/echo/hi/expand?repeat=3")

        #expect(response.header("content-type") == "application/x-ndjson")
        let lines = try await response.collectStream().split(separator: "\n")
        #expect(lines.count == 3)
        for (index, line) in lines.enumerated() {
            let value = try JSONParser.parse(Array(line.utf8))
            #expect(value["eventId"] == .string(String(index)))
        }
    }

    @Test("An error before the first message answers with the error's own status")
    func errorBeforeFirstMessage() async throws {
        let response = try await EchoGateway().send(
            "GET", "/v1/echo/fail:nope/expand?repeat=1", headers: [("accept", "text/event-stream")])

        #expect(response.status == 400)
        #expect(response.bodyStream == nil)
        #expect(response.text.contains(#""message":"nope""#))
    }

    @Test("An idle event stream sends heartbeat comments")
    func heartbeats() async throws {
        var configuration = RESTConfiguration()
        configuration.heartbeatInterval = .milliseconds(20)
        configuration.streamHeadersDelay = .milliseconds(10)
        let response = try await EchoGateway(configuration: configuration).send(
            "GET", "/v1/echo/wait/expand", headers: [("accept", "text/event-stream")])

        #expect(response.status == 200)
        var iterator = try #require(response.bodyStream).makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == ": heartbeat\n\n")
    }

    @Test("A client that stops reading cancels the handler")
    func disconnectCancelsHandler() async throws {
        var configuration = RESTConfiguration()
        configuration.streamHeadersDelay = .milliseconds(10)
        let echo = try EchoGateway(configuration: configuration)
        let before = try await Self.cancellations(echo.handler)

        let response = await echo.send("GET", "/v1/echo/wait/expand", headers: [("accept", "text/event-stream")])
        let reader = Task {
            for try await _ in try #require(response.bodyStream) {}
        }
        reader.cancel()
        _ = await reader.result

        let deadline = ContinuousClock.now + .seconds(10)
        var after = before
        while after == before, ContinuousClock.now < deadline {
            await Task.yield()
            after = try await Self.cancellations(echo.handler)
        }
        #expect(after == before + 1)
    }

    private static func cancellations(_ handler: EchoHandler) async throws -> Int32 {
        var probe = Metachat_Fixture_V1_EchoRequest()
        probe.text = "cancellations"
        let context = ServerContext(
            descriptor: Metachat_Fixture_V1_EchoService.Method.probe,
            requestMetadata: [:],
            peer: "test",
            requestID: "test"
        )
        return try await handler.probe(request: probe, context: context).index
    }
}
