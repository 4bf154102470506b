internal import AsyncHTTPClient
internal import ChatStreams
internal import FoundationEssentials
internal import NIOCore
internal import NIOHTTP1

/// An OpenAI-compatible chat-completions client with streaming (`POST {base}/chat/completions`,
/// `stream: true`, usage requested in the final chunk): OpenAI, Ollama's `/v1`, vLLM, llama.cpp
/// server, DeepSeek.
///
/// ```swift
/// let model = OpenAIChatModel(
///     baseURL: "http://127.0.0.1:11434/v1", apiKey: "", defaultModel: "llama3.1:8b",
///     transport: transport, policy: .defaults, breaker: breaker, tenantSupplied: true)
/// ```
package struct OpenAIChatModel: ChatModel {
    private let baseURL: String
    private let apiKey: String
    private let defaultModel: String
    private let call: StreamingModelCall

    /// Creates the client.
    ///
    /// - Parameters:
    ///   - baseURL: Base URL including the version path, e.g. `https://api.openai.com/v1`.
    ///   - apiKey: Bearer token; empty: none is sent (local servers).
    ///   - defaultModel: The model asked for when the request names none.
    ///   - transport: Sends the requests.
    ///   - policy: Time limits and retries.
    ///   - breaker: The server's circuit breakers.
    ///   - tenantSupplied: Whether `baseURL` is a tenant's (egress-checked).
    package init(
        baseURL: String, apiKey: String, defaultModel: String, transport: any ModelHTTPTransport,
        policy: ModelCallPolicy, breaker: CircuitBreaker, tenantSupplied: Bool
    ) {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.baseURL = base
        self.apiKey = apiKey
        self.defaultModel = defaultModel
        self.call = StreamingModelCall(
            transport: transport, policy: policy, breaker: breaker, endpoint: base,
            description: "the OpenAI-compatible model at \(base)", tenantSupplied: tenantSupplied)
    }

    package var endpointDescription: String { "openai-compatible \(self.baseURL)" }

    private struct Body: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }
        struct StreamOptions: Encodable {
            var include_usage: Bool
        }
        var model: String
        var messages: [Message]
        var stream: Bool
        var stream_options: StreamOptions
        var temperature: Double
        var max_tokens: Int
    }

    package func generate(_ request: ChatModelRequest, onText: (String) async throws -> Void) async throws
        -> ChatModelResult
    {
        let model = request.model.isEmpty ? self.defaultModel : request.model
        var messages = [Body.Message(role: "system", content: request.system)]
        messages += request.messages.map { Body.Message(role: $0.role.rawValue, content: $0.text) }
        let body = try JSONEncoder().encode(
            Body(
                model: model, messages: messages, stream: true, stream_options: .init(include_usage: true),
                temperature: request.temperature, max_tokens: request.maxTokens))
        let url = self.baseURL + "/chat/completions"
        let apiKey = self.apiKey
        var result = try await self.call.run(
            request: {
                var http = HTTPClientRequest(url: url)
                http.method = .POST
                http.headers.add(name: "content-type", value: "application/json")
                http.headers.add(name: "accept", value: "text/event-stream")
                if !apiKey.isEmpty { http.headers.add(name: "authorization", value: "Bearer \(apiKey)") }
                http.body = .bytes(ByteBuffer(bytes: body))
                return http
            },
            decoder: { event throws(ModelStreamError) in try OpenAIStreamDecoder.decode(event) },
            estimatedPromptTokens: Self.estimate(request), onText: onText)
        if result.model.isEmpty { result.model = model }
        return result
    }

    static func estimate(_ request: ChatModelRequest) -> Int {
        TokenEstimate.tokens(request.system) + request.messages.reduce(0) { $0 + TokenEstimate.tokens($1.text) + 4 }
    }
}
