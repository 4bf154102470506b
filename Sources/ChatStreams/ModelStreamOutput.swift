/// What one event of a model's stream says, as the provider decoders
/// (``OpenAIStreamDecoder``, ``AnthropicStreamDecoder``) read it.
package enum ModelStreamOutput: Sendable, Hashable {
    /// The next piece of answer text (never empty).
    case text(String)
    /// Token counts the provider reported; `nil` for a count it did not report.
    case usage(promptTokens: Int?, completionTokens: Int?)
    /// The model that answers, as the provider names it.
    case model(String)
    /// Why generation stopped (`stop`, `length`, `end_turn`, ...).
    case finishReason(String)
    /// The stream's explicit end (`[DONE]`, `message_stop`): nothing more follows.
    case done
}
