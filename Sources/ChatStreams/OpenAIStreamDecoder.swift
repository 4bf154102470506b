internal import FoundationEssentials

/// Reads the events of an OpenAI-compatible chat-completions stream (`stream: true`): each
/// event's data is a `chat.completion.chunk` JSON object, and the literal `[DONE]` ends the
/// stream.
///
/// Text comes from `choices[0].delta.content`; `usage` (sent in a final chunk with empty
/// `choices` when the request asks for `stream_options.include_usage`, by some servers on
/// every chunk) becomes ``ModelStreamOutput/usage(promptTokens:completionTokens:)``; an
/// `error` object, data that is not a JSON object, or a chunk of the wrong shape is a
/// ``ModelStreamError``.
///
/// ```swift
/// let outputs = try OpenAIStreamDecoder.decode(event)
/// ```
package enum OpenAIStreamDecoder {
    private struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                var content: String?
            }
            var delta: Delta?
            var finish_reason: String?
        }
        struct Usage: Decodable {
            var prompt_tokens: Int?
            var completion_tokens: Int?
        }
        struct ErrorBody: Decodable {
            var message: String?
        }
        var model: String?
        var choices: [Choice]?
        var usage: Usage?
        var error: ErrorBody?
    }

    /// The outputs of one event, in order.
    ///
    /// - Throws: ``ModelStreamError`` for an error object or a malformed chunk.
    package static func decode(_ event: ServerSentEvent) throws(ModelStreamError) -> [ModelStreamOutput] {
        let data = String(event.data.drop(while: { $0 == " " || $0 == "\t" }))
        if data.hasPrefix("[DONE]"), data.dropFirst(6).allSatisfy({ $0 == " " || $0 == "\t" }) { return [.done] }
        let bytes = Data(data.utf8)
        guard data.hasPrefix("{") else {
            throw ModelStreamError("the model sent a chunk that is not JSON: \(ModelStreamError.excerpt(data))")
        }
        let chunk: Chunk
        do {
            chunk = try JSONDecoder().decode(Chunk.self, from: bytes)
        } catch {
            throw ModelStreamError("the model sent a malformed chunk: \(ModelStreamError.excerpt(data))")
        }
        if let error = chunk.error {
            throw ModelStreamError(
                "the model reported an error: \(ModelStreamError.excerpt(error.message ?? "unknown"))")
        }
        guard chunk.choices != nil || chunk.usage != nil else {
            throw ModelStreamError("the model sent a chunk without choices: \(ModelStreamError.excerpt(data))")
        }
        var outputs: [ModelStreamOutput] = []
        if let model = chunk.model, !model.isEmpty { outputs.append(.model(model)) }
        if let choice = chunk.choices?.first {
            if let content = choice.delta?.content, !content.isEmpty { outputs.append(.text(content)) }
            if let reason = choice.finish_reason, !reason.isEmpty { outputs.append(.finishReason(reason)) }
        }
        if let usage = chunk.usage {
            outputs.append(.usage(promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens))
        }
        return outputs
    }
}
