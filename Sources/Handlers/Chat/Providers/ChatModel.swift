/// A backend that generates an answer as a stream of text pieces: the OpenAI-compatible
/// chat-completions client, Anthropic's Messages API and the offline extractive ``LocalChatModel``.
///
/// `generate` calls `onText` with each piece in order, on the caller's task; cancelling that
/// task cancels the upstream request. Failures are ``ChatModelError``s.
package protocol ChatModel: Sendable {
    /// What the model is called in usage records and errors (the provider and endpoint).
    var endpointDescription: String { get }

    /// Generates the answer to `request`.
    ///
    /// - Parameters:
    ///   - request: The prompt.
    ///   - onText: Receives each piece of text; throwing from it ends generation with that error.
    /// - Returns: The model, token counts and finish reason.
    func generate(_ request: ChatModelRequest, onText: (String) async throws -> Void) async throws -> ChatModelResult
}
