internal import AsyncHTTPClient
internal import ChatStreams
internal import FoundationEssentials
internal import NIOCore
internal import NIOHTTP1

/// An Anthropic Messages API client with streaming (`POST {base}/messages`, `stream: true`,
/// `anthropic-version: 2023-06-01`). The history is folded into alternating user/assistant
/// turns starting with the user, as the API requires.
package struct AnthropicChatModel: ChatModel {
    /// The API version sent with every request.
    static let apiVersion = "2023-06-01"

    private let baseURL: String
    private let apiKey: String
    private let defaultModel: String
    private let call: StreamingModelCall

    /// Creates the client.
    ///
    /// - Parameters:
    ///   - baseURL: Base URL including the version path, e.g. `https://api.anthropic.com/v1`.
    ///   - apiKey: The `x-api-key`.
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
            description: "the Anthropic model at \(base)", tenantSupplied: tenantSupplied)
    }

    package var endpointDescription: String { "anthropic \(self.baseURL)" }

    private struct Body: Encodable {
        struct Message: Encodable {
            var role: String
            var content: String
        }
        var model: String
        var system: String
        var messages: [Message]
        var max_tokens: Int
        var temperature: Double
        var stream: Bool
    }

    /// `messages` as alternating turns starting with the user: consecutive turns of one role are
    /// joined, leading assistant turns dropped.
    static func alternating(_ messages: [ChatModelRequest.Message]) -> [ChatModelRequest.Message] {
        var folded: [ChatModelRequest.Message] = []
        for message in messages {
            if folded.isEmpty, message.role == .assistant { continue }
            if let last = folded.last, last.role == message.role {
                folded[folded.count - 1].text += "\n\n" + message.text
            } else {
                folded.append(message)
            }
        }
        return folded
    }

    package func generate(_ request: ChatModelRequest, onText: (String) async throws -> Void) async throws
        -> ChatModelResult
    {
        let model = request.model.isEmpty ? self.defaultModel : request.model
        let body = try JSONEncoder().encode(
            Body(
                model: model, system: request.system,
                messages: Self.alternating(request.messages).map { .init(role: $0.role.rawValue, content: $0.text) },
                max_tokens: max(1, request.maxTokens), temperature: min(1, request.temperature), stream: true))
        let url = self.baseURL + "/messages"
        let apiKey = self.apiKey
        var result = try await self.call.run(
            request: {
                var http = HTTPClientRequest(url: url)
                http.method = .POST
                http.headers.add(name: "content-type", value: "application/json")
                http.headers.add(name: "accept", value: "text/event-stream")
                http.headers.add(name: "anthropic-version", value: Self.apiVersion)
                if !apiKey.isEmpty { http.headers.add(name: "x-api-key", value: apiKey) }
                http.body = .bytes(ByteBuffer(bytes: body))
                return http
            },
            decoder: { event throws(ModelStreamError) in try AnthropicStreamDecoder.decode(event) },
            estimatedPromptTokens: OpenAIChatModel.estimate(request), onText: onText)
        if result.model.isEmpty { result.model = model }
        return result
    }
}
