/// The server's own model settings (environment), which tenants without settings of their own
/// use: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL`, `ANTHROPIC_API_KEY`,
/// `ANTHROPIC_BASE_URL`, `ANTHROPIC_MODEL`.
package struct ChatProviderDefaults: Sendable, Hashable {
    /// The public OpenAI API.
    package static let openAIBaseURL = "https://api.openai.com/v1"
    /// The public Anthropic API.
    package static let anthropicBaseURL = "https://api.anthropic.com/v1"

    /// `OPENAI_API_KEY`; empty: none (the default provider is then LOCAL).
    package var openAIKey: String
    /// `OPENAI_BASE_URL`, default ``openAIBaseURL``.
    package var openAIBaseURL: String
    /// `OPENAI_MODEL`, default `gpt-4o-mini`.
    package var openAIModel: String
    /// `ANTHROPIC_API_KEY`; empty: none.
    package var anthropicKey: String
    /// `ANTHROPIC_BASE_URL`, default ``anthropicBaseURL``.
    package var anthropicBaseURL: String
    /// `ANTHROPIC_MODEL`, default `claude-3-5-haiku-latest`.
    package var anthropicModel: String
    /// Time limits and retries of every model call (the total is the tenant's `request_timeout`
    /// when set).
    package var policy: ModelCallPolicy

    /// No keys: every tenant without one answers with LOCAL.
    package static let offline = ChatProviderDefaults()

    /// Creates the defaults.
    package init(
        openAIKey: String = "", openAIBaseURL: String = Self.openAIBaseURL, openAIModel: String = "gpt-4o-mini",
        anthropicKey: String = "", anthropicBaseURL: String = Self.anthropicBaseURL,
        anthropicModel: String = "claude-3-5-haiku-latest", policy: ModelCallPolicy = .defaults
    ) {
        self.openAIKey = openAIKey
        self.openAIBaseURL = openAIBaseURL
        self.openAIModel = openAIModel
        self.anthropicKey = anthropicKey
        self.anthropicBaseURL = anthropicBaseURL
        self.anthropicModel = anthropicModel
        self.policy = policy
    }
}
