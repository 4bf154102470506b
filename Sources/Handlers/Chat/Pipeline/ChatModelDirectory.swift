internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// Picks the ``ChatModel`` of a tenant's `settings.llm`, with the server's defaults
/// (``ChatProviderDefaults``) for what the tenant left unset.
///
/// A server key is only ever sent to the server's own base URL: a tenant that names a base URL
/// must store its own key (`OPENAI_COMPATIBLE` may run without one, for local servers). Tenant
/// base URLs go through the egress check of the transport.
package struct ChatModelDirectory: Sendable {
    /// The server defaults.
    package let defaults: ChatProviderDefaults
    private let transport: any ModelHTTPTransport
    private let breaker: CircuitBreaker
    /// Opens a stored (sealed) tenant key.
    private let openKey: @Sendable (_ stored: String, _ tenantID: UUID) throws -> String

    /// Creates the directory.
    ///
    /// - Parameters:
    ///   - defaults: The server's settings.
    ///   - transport: Sends model requests.
    ///   - breaker: The server's circuit breakers.
    ///   - secrets: Opens the sealed `tenants.llm_api_key`.
    package init(
        defaults: ChatProviderDefaults, transport: any ModelHTTPTransport, breaker: CircuitBreaker,
        secrets: SecretsEnvelope = SecretsEnvelope(current: nil)
    ) {
        self.defaults = defaults
        self.transport = transport
        self.breaker = breaker
        self.openKey = { stored, tenantID in
            // Plaintext left from before sealing is sealed at `serve` start; until then it is used as is.
            guard SecretsEnvelope.isSealed(stored) else { return stored }
            return try secrets.open(
                stored,
                context: SecretContext(table: "tenants", column: "llm_api_key", rowID: tenantID.lowercasedString))
        }
    }

    /// The provider's name in usage records: `local`, `openai`, `openai_compatible`, `anthropic`.
    static func providerName(_ provider: Metachat_V1_LlmProvider) -> String {
        switch provider {
        case .openai: "openai"
        case .openaiCompatible: "openai_compatible"
        case .anthropic: "anthropic"
        default: "local"
        }
    }

    /// The provider `settings` resolves to.
    func provider(of settings: Metachat_V1_LlmSettings) -> Metachat_V1_LlmProvider {
        switch settings.provider {
        case .unspecified, .UNRECOGNIZED: self.defaults.openAIKey.isEmpty ? .local : .openai
        default: settings.provider
        }
    }

    /// The model for a tenant.
    ///
    /// - Throws: `FAILED_PRECONDITION` naming the setting when no key or base URL can be used.
    func model(for settings: Metachat_V1_LlmSettings, storedKey: String?, tenantID: UUID) throws -> any ChatModel {
        var policy = self.defaults.policy
        if settings.hasRequestTimeout {
            let seconds = min(300, max(1, settings.requestTimeout.seconds))
            policy.totalTimeout = .seconds(seconds)
            policy.firstTokenTimeout = min(policy.firstTokenTimeout, policy.totalTimeout)
        }
        let tenantKey: String
        do {
            tenantKey = try storedKey.map { try self.openKey($0, tenantID) } ?? ""
        } catch {
            throw RPCError(
                code: .failedPrecondition,
                message: "The tenant's stored settings.llm.apiKey cannot be read; store it again.")
        }
        switch self.provider(of: settings) {
        case .openai:
            let tenantURL = !settings.baseURL.isEmpty && settings.baseURL != self.defaults.openAIBaseURL
            let key = !tenantKey.isEmpty ? tenantKey : tenantURL ? "" : self.defaults.openAIKey
            guard !key.isEmpty else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: tenantURL
                        ? "settings.llm.apiKey is required with settings.llm.baseURL (the server's key is never sent to another host)."
                        : "No OpenAI API key: set settings.llm.apiKey or the server's OPENAI_API_KEY.")
            }
            return OpenAIChatModel(
                baseURL: tenantURL ? settings.baseURL : self.defaults.openAIBaseURL, apiKey: key,
                defaultModel: self.defaults.openAIModel, transport: self.transport, policy: policy,
                breaker: self.breaker, tenantSupplied: tenantURL)
        case .openaiCompatible:
            guard !settings.baseURL.isEmpty else {
                throw RPCError(
                    code: .failedPrecondition, message: "settings.llm.baseURL is required for OPENAI_COMPATIBLE.")
            }
            return OpenAIChatModel(
                baseURL: settings.baseURL, apiKey: tenantKey, defaultModel: self.defaults.openAIModel,
                transport: self.transport, policy: policy, breaker: self.breaker, tenantSupplied: true)
        case .anthropic:
            let tenantURL = !settings.baseURL.isEmpty && settings.baseURL != self.defaults.anthropicBaseURL
            let key = !tenantKey.isEmpty ? tenantKey : tenantURL ? "" : self.defaults.anthropicKey
            guard !key.isEmpty else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: tenantURL
                        ? "settings.llm.apiKey is required with settings.llm.baseURL (the server's key is never sent to another host)."
                        : "No Anthropic API key: set settings.llm.apiKey or the server's ANTHROPIC_API_KEY.")
            }
            return AnthropicChatModel(
                baseURL: tenantURL ? settings.baseURL : self.defaults.anthropicBaseURL, apiKey: key,
                defaultModel: self.defaults.anthropicModel, transport: self.transport, policy: policy,
                breaker: self.breaker, tenantSupplied: tenantURL)
        default:
            return LocalChatModel()
        }
    }
}
