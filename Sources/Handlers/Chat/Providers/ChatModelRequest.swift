package import MetaChatAPI

/// The prompt of one answer, as every ``ChatModel`` receives it.
package struct ChatModelRequest: Sendable {
    /// One earlier turn or the question, in the provider's two roles.
    package struct Message: Sendable, Hashable {
        /// Who said it.
        package enum Role: String, Sendable, Hashable {
            /// The end user (or, for history, a human agent's words are the assistant side).
            case user
            /// The assistant or a human agent.
            case assistant
        }

        /// Who said it.
        package var role: Role
        /// What was said.
        package var text: String

        /// Creates a message.
        package init(role: Role, text: String) {
            self.role = role
            self.text = text
        }
    }

    /// One retrieved passage, numbered as the prompt numbers it (`[1]`, `[2]`, ...).
    package struct Source: Sendable {
        /// Its number in the prompt, from 1.
        package var number: Int
        /// The passage text.
        package var text: String
        /// Where it comes from.
        package var citation: Metachat_V1_Citation

        /// Creates a source.
        package init(number: Int, text: String, citation: Metachat_V1_Citation) {
            self.number = number
            self.text = text
            self.citation = citation
        }
    }

    /// The system prompt (instructions, numbered sources, self-assessment request).
    package var system: String
    /// The history that fits the budget, oldest first, ending with the question.
    package var messages: [Message]
    /// The retrieved passages (also inside `system`), for models that work on them directly.
    package var sources: [Source]
    /// The model name to ask for; empty: the model's default.
    package var model: String
    /// Sampling temperature, 0...2.
    package var temperature: Double
    /// Most tokens to generate.
    package var maxTokens: Int

    /// Creates a request.
    package init(
        system: String, messages: [Message], sources: [Source] = [], model: String = "", temperature: Double = 0.2,
        maxTokens: Int = 1024
    ) {
        self.system = system
        self.messages = messages
        self.sources = sources
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
    }

    /// The user's question: the last message's text.
    package var question: String { self.messages.last?.text ?? "" }
}
