internal import MetaChatAPI

/// Builds the prompt of one answer: the system prompt (the tenant's brand and tone, its own
/// instructions or the built-in ones, the numbered sources, the request to cite them and to end
/// with a confidence marker) and the newest turns of the conversation that fit the history
/// budget, oldest first, then the question.
struct PromptBuilder: Sendable {
    /// The built-in instructions when a tenant has none.
    static let defaultInstructions =
        "Answer the customer's question using the sources provided. If the sources do not contain the answer, "
        + "say that you do not know instead of guessing. Keep answers short and concrete."

    /// The self-assessment request (ESCALATION.md).
    static let selfAssessment =
        "End every answer with your confidence in it, exactly one of: [confidence: high], [confidence: medium], "
        + "[confidence: low], [confidence: very_low]."

    /// Tokens the history may take (the question and the system prompt come on top).
    var historyTokenBudget: Int

    /// The system prompt.
    func system(tenantName: String, instructions: String, sources: [ChatModelRequest.Source]) -> String {
        var parts = [
            "You are the assistant of \(tenantName.isEmpty ? "this company" : tenantName), talking to one of its "
                + "customers. Be friendly, concise and professional.",
            instructions.isEmpty ? Self.defaultInstructions : instructions,
        ]
        if sources.isEmpty {
            parts.append("No sources were found for this question.")
        } else {
            var block = "Sources:"
            for source in sources {
                let title = source.citation.documentTitle.isEmpty ? "" : " (\(source.citation.documentTitle))"
                block += "\n[\(source.number)]\(title) \(source.text)"
            }
            parts.append(block)
            parts.append("Cite the sources you use with their numbers, like [1].")
        }
        parts.append(Self.selfAssessment)
        return parts.joined(separator: "\n\n")
    }

    /// The turns to send: the newest earlier messages that fit the budget (user messages as the
    /// user, assistant and agent messages as the assistant, system notices left out), oldest
    /// first, then the question.
    ///
    /// - Parameters:
    ///   - history: Earlier messages, newest first.
    ///   - question: The message to answer.
    func messages(history newestFirst: [Metachat_V1_Message], question: String) -> [ChatModelRequest.Message] {
        var kept: [ChatModelRequest.Message] = []
        var used = 0
        for message in newestFirst {
            let role: ChatModelRequest.Message.Role
            switch message.role {
            case .user: role = .user
            case .assistant, .agent: role = .assistant
            default: continue
            }
            guard !message.text.isEmpty else { continue }
            let cost = TokenEstimate.tokens(message.text) + 4
            guard used + cost <= self.historyTokenBudget else { break }
            used += cost
            kept.append(ChatModelRequest.Message(role: role, text: message.text))
        }
        return kept.reversed() + [ChatModelRequest.Message(role: .user, text: question)]
    }
}
