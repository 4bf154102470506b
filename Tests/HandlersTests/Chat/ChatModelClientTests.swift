import AsyncHTTPClient
import Foundation
import Handlers
import RPCServer
import Testing

/// The OpenAI-compatible and Anthropic streaming clients against local servers that speak the
/// real protocols, including their failures.
@Suite("Chat model clients")
struct ChatModelClientTests {
    /// A short idle limit so a stall shows quickly, the others far above what a loaded machine
    /// needs; retries without long waits.
    static let policy = ModelCallPolicy(
        connectTimeout: .seconds(30), firstTokenTimeout: .seconds(30), idleTimeout: .milliseconds(400),
        totalTimeout: .seconds(60), attempts: 3, initialBackoff: .milliseconds(20), maximumRetryAfter: .seconds(2))

    static func request(_ question: String = "What are your opening hours?") -> ChatModelRequest {
        ChatModelRequest(system: "Be brief.", messages: [.init(role: .user, text: question)], model: "m")
    }

    static func withClient<R>(
        _ server: FakeModelServer, breaker: CircuitBreaker = CircuitBreaker(), policy: ModelCallPolicy = Self.policy,
        _ body: (any ChatModel) async throws -> R
    ) async throws -> R {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let transport = DirectModelHTTPTransport(http: http)
        let model: any ChatModel =
            switch server.dialect {
            case .openAI:
                OpenAIChatModel(
                    baseURL: server.baseURL, apiKey: "sk-test-key", defaultModel: "m", transport: transport,
                    policy: policy, breaker: breaker, tenantSupplied: false)
            case .anthropic:
                AnthropicChatModel(
                    baseURL: server.baseURL, apiKey: "sk-ant-test", defaultModel: "m", transport: transport,
                    policy: policy, breaker: breaker, tenantSupplied: false)
            }
        let result: Result<R, any Error>
        do {
            result = .success(try await body(model))
        } catch {
            result = .failure(error)
        }
        try await http.shutdown()
        try await server.close()
        return try result.get()
    }

    /// Collects the pieces of one call.
    final class Pieces: @unchecked Sendable {
        // @unchecked: appended to by one call at a time.
        var all: [String] = []
    }

    @Test("OpenAI: pieces arrive in order, usage from the final chunk, the request is the documented one")
    func openAIHappyPath() async throws {
        let server = try await FakeModelServer(
            .openAI, script: [.stream(["We open ", "at 9 ", "every day."], usage: (42, 9))])
        let pieces = Pieces()
        let result = try await Self.withClient(server) { model in
            try await model.generate(Self.request()) { pieces.all.append($0) }
        }
        #expect(pieces.all == ["We open ", "at 9 ", "every day."])
        #expect(result.promptTokens == 42 && result.completionTokens == 9 && result.model == "fake-gpt")
        #expect(result.finishReason == "stop")
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/chat/completions")
        #expect(request.headers["authorization"] == "Bearer sk-test-key")
        #expect(request.json["stream"] as? Bool == true)
        #expect((request.json["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(request.messages.map(\.role) == ["system", "user"])
    }

    @Test("Anthropic: text deltas, usage from message_start and message_delta, version header")
    func anthropicHappyPath() async throws {
        let server = try await FakeModelServer(.anthropic, script: [.stream(["Hello", " there"], usage: (30, 5))])
        let pieces = Pieces()
        let result = try await Self.withClient(server) { model in
            try await model.generate(Self.request()) { pieces.all.append($0) }
        }
        #expect(pieces.all == ["Hello", " there"])
        #expect(result.promptTokens == 30 && result.completionTokens == 5 && result.model == "fake-claude")
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/messages")
        #expect(request.headers["x-api-key"] == "sk-ant-test")
        #expect(request.headers["anthropic-version"] == "2023-06-01")
        #expect(request.json["system"] as? String == "Be brief.")
    }

    @Test("Anthropic: an error event mid-stream is UNAVAILABLE naming it")
    func anthropicErrorEvent() async throws {
        let events =
            FakeModelServer.events(.anthropic, pieces: ["Hi"], usage: (1, 1)).prefix(4) + [
                "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
            ]
        let server = try await FakeModelServer(.anthropic, script: [.raw(Array(events), end: true)])
        await expectChatModelError("overloaded_error") {
            try await Self.withClient(server) { model in try await model.generate(Self.request()) { _ in } }
        }
    }

    @Test("A malformed chunk ends the call with UNAVAILABLE, never a hang")
    func malformedChunk() async throws {
        let good = FakeModelServer.events(.openAI, pieces: ["One"], usage: (1, 1))
        let server = try await FakeModelServer(
            .openAI, script: [.raw([good[0], good[1], "data: {\"choices\":[{\"delta\":{\"content\":\n\n"], end: true)])
        await expectChatModelError("malformed chunk") {
            try await Self.withClient(server) { model in try await model.generate(Self.request()) { _ in } }
        }
        #expect(server.requests.count == 1, "a malformed stream is not retried")
    }

    @Test("A stream that ends without [DONE] is truncated: UNAVAILABLE")
    func truncatedStream() async throws {
        let events = FakeModelServer.events(.openAI, pieces: ["One ", "two"], usage: (1, 1))
        let server = try await FakeModelServer(.openAI, script: [.raw(Array(events.dropLast()), end: true)])
        await expectChatModelError("truncated") {
            try await Self.withClient(server) { model in try await model.generate(Self.request()) { _ in } }
        }
    }

    @Test("A stall after three tokens ends with the idle timeout, after those tokens were delivered")
    func stallAfterThreeTokens() async throws {
        let events = FakeModelServer.events(.openAI, pieces: ["a ", "b ", "c "], usage: (1, 1))
        let server = try await FakeModelServer(.openAI, script: [.raw(Array(events.prefix(4)), end: false)])
        let pieces = Pieces()
        await expectChatModelError("idle timeout") {
            try await Self.withClient(server) { model in
                try await model.generate(Self.request()) { pieces.all.append($0) }
            }
        }
        #expect(pieces.all == ["a ", "b ", "c "])
        #expect(server.requests.count == 1, "nothing is retried after the first token")
    }

    @Test("429 with retry-after, then success: retried before the first token, retry-after honoured")
    func rateLimitedThenSuccess() async throws {
        let server = try await FakeModelServer(
            .openAI, script: [.status(429, retryAfter: "1"), .status(503), .stream(["fine"])])
        // Limits far above the waits, so a loaded machine does not turn the retries into a timeout.
        var policy = Self.policy
        policy.firstTokenTimeout = .seconds(60)
        policy.totalTimeout = .seconds(120)
        policy.idleTimeout = .seconds(60)
        let started = ContinuousClock.now
        let pieces = Pieces()
        _ = try await Self.withClient(server, policy: policy) { model in
            try await model.generate(Self.request()) { pieces.all.append($0) }
        }
        #expect(pieces.all == ["fine"])
        #expect(server.requests.count == 3, "two retries")
        #expect(ContinuousClock.now - started >= .seconds(1), "retry-after: 1 was waited for")
    }

    @Test("A client error (400) is not retried")
    func clientErrorNotRetried() async throws {
        let server = try await FakeModelServer(.openAI, script: [.status(400), .stream(["never"])])
        await expectChatModelError("HTTP 400") {
            try await Self.withClient(server) { model in try await model.generate(Self.request()) { _ in } }
        }
        #expect(server.requests.count == 1)
    }

    @Test("A refused key (401) is FAILED_PRECONDITION naming the setting")
    func refusedKey() async throws {
        let server = try await FakeModelServer(.openAI, script: [.status(401)])
        do {
            try await Self.withClient(server) { model in _ = try await model.generate(Self.request()) { _ in } }
            Issue.record("expected a failure")
        } catch let error as ChatModelError {
            #expect(error.rpcError.code == .failedPrecondition)
            #expect(error.message.contains("settings.llm.apiKey"))
        }
    }

    @Test("Persistent 5xx opens the breaker (calls fail without reaching the server), then a probe half-opens it")
    func breakerOpensThenHalfOpens() async throws {
        let failing = LockedBox(true)
        let server = try await FakeModelServer(.openAI) { _ in
            failing.withLock { $0 } ? .status(500) : .stream(["back"])
        }
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 3, openDuration: .milliseconds(300)))
        var policy = Self.policy
        policy.attempts = 1
        try await Self.withClient(server, breaker: breaker, policy: policy) { model in
            for _ in 0..<3 {
                await expectChatModelError("HTTP 500") { try await model.generate(Self.request()) { _ in } }
            }
            #expect(server.requests.count == 3)
            await expectChatModelError("circuit open") { try await model.generate(Self.request()) { _ in } }
            #expect(server.requests.count == 3, "an open breaker sends nothing")
            failing.withLock { $0 = false }
            try await Polling.until("the open period ends", within: .seconds(5), every: .milliseconds(20)) {
                guard case .open(let until) = breaker.state(of: server.baseURL) else { return false }
                return ContinuousClock.now >= until
            }
            let pieces = Pieces()
            _ = try await model.generate(Self.request()) { pieces.all.append($0) }
            #expect(pieces.all == ["back"])
            #expect(breaker.state(of: server.baseURL) == .closed(failures: 0))
        }
    }

    @Test("A failed half-open probe opens the breaker again")
    func failedProbeReopens() async throws {
        let server = try await FakeModelServer(.openAI, script: [.status(502)])
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, openDuration: .milliseconds(100)))
        var policy = Self.policy
        policy.attempts = 1
        try await Self.withClient(server, breaker: breaker, policy: policy) { model in
            await expectChatModelError("HTTP 502") { try await model.generate(Self.request()) { _ in } }
            try await Polling.until("the open period ends", within: .seconds(5), every: .milliseconds(20)) {
                guard case .open(let until) = breaker.state(of: server.baseURL) else { return false }
                return ContinuousClock.now >= until
            }
            await expectChatModelError("HTTP 502") { try await model.generate(Self.request()) { _ in } }
            guard case .open = breaker.state(of: server.baseURL) else {
                Issue.record("the breaker should be open again")
                return
            }
            #expect(server.requests.count == 2)
        }
    }

    @Test("Cancelling the caller cancels the upstream request")
    func cancellation() async throws {
        let events = FakeModelServer.events(.openAI, pieces: ["a"], usage: (1, 1))
        let server = try await FakeModelServer(.openAI, script: [.raw(Array(events.prefix(2)), end: false)])
        var policy = Self.policy
        policy.idleTimeout = .seconds(30)
        policy.totalTimeout = .seconds(30)
        try await Self.withClient(server, policy: policy) { model in
            let task = Task { try await model.generate(Self.request()) { _ in } }
            try await Polling.until("the request arrives", within: .seconds(5)) { server.requests.count == 1 }
            task.cancel()
            let outcome = await task.result
            guard case .failure(let error) = outcome else {
                Issue.record("a cancelled call must not succeed")
                return
            }
            #expect(error is CancellationError)
        }
    }
}

/// Expects `body` to throw a ``ChatModelError`` whose message contains `fragment`.
func expectChatModelError<T>(
    _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected a ChatModelError containing '\(fragment)'", sourceLocation: sourceLocation)
    } catch let error as ChatModelError {
        #expect(error.message.contains(fragment), "message: \(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected ChatModelError, got \(error)", sourceLocation: sourceLocation)
    }
}
