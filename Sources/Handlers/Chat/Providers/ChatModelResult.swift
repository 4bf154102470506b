/// What a ``ChatModel`` reports after the last piece of text.
package struct ChatModelResult: Sendable, Hashable {
    /// The model that answered, as the provider names it.
    package var model: String
    /// Prompt tokens (the provider's count, else an estimate).
    package var promptTokens: Int
    /// Generated tokens (the provider's count, else an estimate).
    package var completionTokens: Int
    /// Why generation stopped, as the provider says (`stop`, `length`, `end_turn`); empty when
    /// it did not say.
    package var finishReason: String

    /// Creates a result.
    package init(model: String, promptTokens: Int, completionTokens: Int, finishReason: String = "") {
        self.model = model
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.finishReason = finishReason
    }
}
