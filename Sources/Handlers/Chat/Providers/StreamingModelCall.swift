internal import AsyncHTTPClient
internal import ChatStreams
internal import FoundationEssentials
internal import NIOCore
internal import NIOHTTP1
internal import Synchronization

/// One streaming model request with the resilience every provider shares: the endpoint's
/// circuit breaker, retries with jittered exponential backoff (honouring `retry-after`) on
/// connection errors, 429 and 5xx — only before the first piece of text — and four time limits
/// (``ModelCallPolicy``) watched by a watchdog task, which ends the call with UNAVAILABLE naming
/// the limit. The response body is parsed as an event stream (``ServerSentEventParser``) and each
/// event decoded by the provider's decoder; a stream that ends without its end marker is
/// truncated (UNAVAILABLE). Cancelling the calling task cancels the upstream request.
struct StreamingModelCall: Sendable {
    /// The provider's reading of one event.
    typealias Decoder = @Sendable (ServerSentEvent) throws(ModelStreamError) -> [ModelStreamOutput]

    let transport: any ModelHTTPTransport
    let policy: ModelCallPolicy
    let breaker: CircuitBreaker
    /// The breaker's key: the endpoint's base URL.
    let endpoint: String
    /// How errors name the endpoint, e.g. "the OpenAI-compatible model at https://host/v1".
    let description: String
    /// Whether the URL is a tenant's (egress-checked).
    let tenantSupplied: Bool

    /// Runs the call.
    ///
    /// - Parameters:
    ///   - request: Builds the HTTP request (again for each attempt).
    ///   - decoder: Reads the provider's events.
    ///   - estimatedPromptTokens: Used when the provider reports no prompt count.
    ///   - onText: Receives the text pieces.
    func run(
        request: @Sendable () throws -> HTTPClientRequest, decoder: @escaping Decoder, estimatedPromptTokens: Int,
        onText: (String) async throws -> Void
    ) async throws -> ChatModelResult {
        let start = ContinuousClock.now
        var attempt = 1
        var backoff = self.policy.initialBackoff
        while true {
            try self.breaker.admit(self.endpoint, description: self.description)
            let delivered = Mutex(false)
            do {
                let result = try await self.attempt(
                    request: try request(), decoder: decoder, start: start, estimatedPromptTokens: estimatedPromptTokens
                ) { text in
                    delivered.withLock { $0 = true }
                    try await onText(text)
                }
                self.breaker.recordSuccess(self.endpoint)
                return result
            } catch let error as ChatModelError {
                if error.countsAsFailure {
                    self.breaker.recordFailure(self.endpoint)
                } else {
                    self.breaker.recordAbandoned(self.endpoint)
                }
                let textSeen = delivered.withLock { $0 }
                guard error.retryable, !textSeen, attempt < self.policy.attempts else { throw error }
                var wait = backoff * Double.random(in: 0.5...1.5)
                if let retryAfter = error.retryAfter {
                    guard retryAfter <= self.policy.maximumRetryAfter else { throw error }
                    wait = max(wait, retryAfter)
                }
                guard ContinuousClock.now + wait < start + self.policy.totalTimeout else { throw error }
                try await Task.sleep(for: wait)
                backoff *= 2
                attempt += 1
            } catch {
                self.breaker.recordAbandoned(self.endpoint)
                throw error
            }
        }
    }

    /// What the reader and the watchdog share.
    private struct Progress: Sendable {
        var headReceived = false
        var textReceived = false
        var lastActivity: ContinuousClock.Instant
    }

    /// ``Progress`` shared between tasks.
    private final class SharedProgress: Sendable {
        let state: Mutex<Progress>

        init(_ progress: Progress) {
            self.state = Mutex(progress)
        }

        func withLock<R: Sendable>(_ body: (inout Progress) -> R) -> R {
            self.state.withLock { body(&$0) }
        }
    }

    private func attempt(
        request: HTTPClientRequest, decoder: @escaping Decoder, start: ContinuousClock.Instant,
        estimatedPromptTokens: Int, onText: (String) async throws -> Void
    ) async throws -> ChatModelResult {
        let attemptStart = ContinuousClock.now
        let progress = SharedProgress(Progress(lastActivity: attemptStart))
        let (outputs, continuation) = AsyncThrowingStream<ModelStreamOutput, any Error>.makeStream()
        let transport = self.transport
        let policy = self.policy
        let description = self.description
        let tenantSupplied = self.tenantSupplied
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let remaining = start + policy.totalTimeout - ContinuousClock.now
                    let response = try await Self.open(
                        request, transport: transport, tenantSupplied: tenantSupplied, timeout: remaining,
                        description: description)
                    progress.withLock {
                        $0.headReceived = true
                        $0.lastActivity = ContinuousClock.now
                    }
                    try await Self.read(
                        response, decoder: decoder, description: description, progress: progress,
                        continuation: continuation)
                    continuation.finish()
                } catch let error as ChatModelError {
                    continuation.finish(throwing: error)
                } catch let error as ModelStreamError {
                    continuation.finish(throwing: error)
                } catch let error as ServerSentEventError {
                    continuation.finish(throwing: error)
                } catch is CancellationError {
                    continuation.finish(throwing: CancellationError())
                } catch {
                    continuation.finish(
                        throwing: ChatModelError(
                            .unavailable, "\(description) broke the connection mid-stream (\(Self.name(of: error)))"))
                }
            }
            group.addTask {
                do {
                    try await Self.watch(
                        progress: progress, policy: policy, start: start, attemptStart: attemptStart,
                        description: description, continuation: continuation)
                } catch {
                    // Cancelled: the call ended.
                }
            }
            defer { group.cancelAll() }
            var model = ""
            var promptTokens: Int?
            var completionTokens: Int?
            var finishReason = ""
            var completionCharacters = 0
            do {
                for try await output in outputs {
                    switch output {
                    case .text(let text):
                        progress.withLock { $0.textReceived = true }
                        completionCharacters += text.unicodeScalars.count
                        try await onText(text)
                    case .usage(let prompt, let completion):
                        promptTokens = prompt ?? promptTokens
                        completionTokens = completion ?? completionTokens
                    case .model(let name):
                        model = name
                    case .finishReason(let reason):
                        finishReason = reason
                    case .done:
                        break
                    }
                }
                // The stream also ends (without an error) when this task is cancelled.
                try Task.checkCancellation()
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as ChatModelError {
                throw error
            } catch let error as ModelStreamError {
                throw ChatModelError(.unavailable, "\(description): \(error.message)")
            } catch let error as ServerSentEventError {
                throw ChatModelError(.unavailable, "\(description): \(error.message)")
            }
            return ChatModelResult(
                model: model, promptTokens: promptTokens ?? estimatedPromptTokens,
                completionTokens: completionTokens ?? TokenEstimate.tokens(characters: completionCharacters),
                finishReason: finishReason)
        }
    }

    /// Sends the request and checks the status.
    private static func open(
        _ request: HTTPClientRequest, transport: any ModelHTTPTransport, tenantSupplied: Bool, timeout: Duration,
        description: String
    ) async throws -> HTTPClientResponse {
        let response: HTTPClientResponse
        do {
            response = try await transport.execute(request, tenantSupplied: tenantSupplied, timeout: timeout)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as ChatModelError {
            throw error
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch {
            if let refusal = error as? any EgressRefusalDescribing {
                throw ChatModelError(
                    .misconfigured, "\(description) is not allowed: \(refusal.refusalMessage)",
                    countsAsFailure: false)
            }
            throw ChatModelError(
                .unavailable, "\(description) could not be reached (\(Self.name(of: error)))", retryable: true)
        }
        let status = Int(response.status.code)
        guard status == 200 else {
            var excerpt = ""
            if let body = try? await response.body.collect(upTo: 64 << 10) {
                excerpt = String(String(buffer: body).prefix(200))
            }
            let retryAfter = response.headers.first(name: "retry-after").flatMap(Self.retryAfter)
            switch status {
            case 401, 403:
                throw ChatModelError(
                    .misconfigured, "\(description) refused the API key (HTTP \(status)); check settings.llm.apiKey",
                    countsAsFailure: false)
            case 408, 429, 500...599:
                throw ChatModelError(
                    .unavailable, "\(description) answered HTTP \(status)\(excerpt.isEmpty ? "" : ": \(excerpt)")",
                    retryable: true, retryAfter: retryAfter, countsAsFailure: status != 429)
            default:
                throw ChatModelError(
                    .unavailable, "\(description) answered HTTP \(status)\(excerpt.isEmpty ? "" : ": \(excerpt)")",
                    countsAsFailure: false)
            }
        }
        return response
    }

    /// Reads the body as an event stream into `continuation`.
    private static func read(
        _ response: HTTPClientResponse, decoder: Decoder, description: String, progress: SharedProgress,
        continuation: AsyncThrowingStream<ModelStreamOutput, any Error>.Continuation
    ) async throws {
        var parser = ServerSentEventParser()
        var finished = false
        for try await buffer in response.body {
            progress.withLock { $0.lastActivity = ContinuousClock.now }
            for event in try parser.feed(buffer.readableBytesView) {
                guard !finished else { continue }
                for output in try decoder(event) {
                    if output == .done { finished = true }
                    continuation.yield(output)
                }
            }
            if finished { break }
        }
        if !finished {
            let cut = parser.finish()
            throw ChatModelError(
                .unavailable,
                "\(description) ended the stream before its end marker (truncated\(cut ? " mid-event" : ""))")
        }
    }

    /// Ends the call when a time limit passes.
    private static func watch(
        progress: SharedProgress, policy: ModelCallPolicy, start: ContinuousClock.Instant,
        attemptStart: ContinuousClock.Instant, description: String,
        continuation: AsyncThrowingStream<ModelStreamOutput, any Error>.Continuation
    ) async throws {
        while true {
            let state = progress.withLock { $0 }
            var deadline = start + policy.totalTimeout
            var limit = "total timeout of \(policy.totalTimeout)"
            if !state.headReceived, attemptStart + policy.connectTimeout < deadline {
                deadline = attemptStart + policy.connectTimeout
                limit = "connect timeout of \(policy.connectTimeout)"
            }
            if !state.textReceived, start + policy.firstTokenTimeout < deadline {
                deadline = start + policy.firstTokenTimeout
                limit = "first-token timeout of \(policy.firstTokenTimeout)"
            }
            if state.headReceived, state.lastActivity + policy.idleTimeout < deadline {
                deadline = state.lastActivity + policy.idleTimeout
                limit = "idle timeout of \(policy.idleTimeout)"
            }
            let now = ContinuousClock.now
            if now >= deadline {
                continuation.finish(
                    throwing: ChatModelError(.unavailable, "\(description) did not answer in time (\(limit))"))
                return
            }
            // Progress can bring an earlier deadline (the idle limit once the response starts), but
            // never one before `now + idleTimeout`: waking then at the latest re-reads it in time.
            try await Task.sleep(until: min(deadline, now + policy.idleTimeout), clock: .continuous)
        }
    }

    /// A `retry-after` value: seconds, or an HTTP date.
    static func retryAfter(_ value: String) -> Duration? {
        let trimmed = value.trimmingWhitespace
        if let seconds = Int(trimmed), seconds >= 0 {
            return .seconds(min(seconds, 86_400))
        }
        if let date = HTTPDate.parse(trimmed) {
            let seconds = max(0, date.timeIntervalSinceNow)
            return .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        return nil
    }

    /// A short name of a transport error for messages (never its full text).
    private static func name(of error: any Error) -> String {
        if let error = error as? HTTPClientError {
            return String(describing: error)
        }
        return String(describing: type(of: error))
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingWhitespace: String {
        let scalars = self.unicodeScalars.drop(while: { $0 == " " || $0 == "\t" })
        var end = scalars.endIndex
        while end > scalars.startIndex,
            scalars[scalars.index(before: end)] == " " || scalars[scalars.index(before: end)] == "\t"
        {
            end = scalars.index(before: end)
        }
        return String(String.UnicodeScalarView(scalars[scalars.startIndex..<end]))
    }
}
