internal import FoundationEssentials

/// Reads the events of an Anthropic Messages API stream (`stream: true`): `message_start`
/// (model, input tokens), `content_block_start`/`content_block_delta` (`text_delta` pieces),
/// `content_block_stop`, `message_delta` (stop reason, output tokens), `message_stop` (the
/// end), `ping` (keep-alive) and `error`.
///
/// The event type is read from the data's `type` (the `event:` line repeats it); unknown types
/// are ignored, as Anthropic asks of clients. Deltas other than text (`input_json_delta`,
/// `thinking_delta`, `signature_delta`) carry no answer text and are skipped.
///
/// ```swift
/// let outputs = try AnthropicStreamDecoder.decode(event)
/// ```
package enum AnthropicStreamDecoder {
    private struct Event: Decodable {
        struct Usage: Decodable {
            var input_tokens: Int?
            var output_tokens: Int?
        }
        struct Message: Decodable {
            var model: String?
            var usage: Usage?
        }
        struct Delta: Decodable {
            var type: String?
            var text: String?
            var stop_reason: String?
        }
        struct ErrorBody: Decodable {
            var type: String?
            var message: String?
        }
        var type: String
        var message: Message?
        var delta: Delta?
        var usage: Usage?
        var error: ErrorBody?
    }

    /// The outputs of one event, in order.
    ///
    /// - Throws: ``ModelStreamError`` for an `error` event or a malformed one.
    package static func decode(_ event: ServerSentEvent) throws(ModelStreamError) -> [ModelStreamOutput] {
        let data = event.data
        let bytes = Data(data.utf8)
        guard data.first == "{" else {
            throw ModelStreamError("the model sent an event that is not JSON: \(ModelStreamError.excerpt(data))")
        }
        let decoded: Event
        do {
            decoded = try JSONDecoder().decode(Event.self, from: bytes)
        } catch {
            throw ModelStreamError("the model sent a malformed event: \(ModelStreamError.excerpt(data))")
        }
        switch decoded.type {
        case "message_start":
            var outputs: [ModelStreamOutput] = []
            if let model = decoded.message?.model, !model.isEmpty { outputs.append(.model(model)) }
            if let usage = decoded.message?.usage {
                outputs.append(.usage(promptTokens: usage.input_tokens, completionTokens: usage.output_tokens))
            }
            return outputs
        case "content_block_delta":
            guard let delta = decoded.delta else {
                throw ModelStreamError("the model sent a content_block_delta without a delta")
            }
            if delta.type == "text_delta", let text = delta.text, !text.isEmpty { return [.text(text)] }
            return []
        case "message_delta":
            var outputs: [ModelStreamOutput] = []
            if let reason = decoded.delta?.stop_reason, !reason.isEmpty { outputs.append(.finishReason(reason)) }
            if let usage = decoded.usage {
                outputs.append(.usage(promptTokens: usage.input_tokens, completionTokens: usage.output_tokens))
            }
            return outputs
        case "message_stop":
            return [.done]
        case "error":
            let kind = decoded.error?.type ?? "error"
            throw ModelStreamError(
                "the model reported an error (\(kind)): \(ModelStreamError.excerpt(decoded.error?.message ?? "unknown"))"
            )
        default:
            // ping, content_block_start, content_block_stop and types added later.
            return []
        }
    }
}
