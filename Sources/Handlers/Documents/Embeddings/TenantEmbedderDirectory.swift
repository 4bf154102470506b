package import FoundationEssentials
internal import MetaChatAPI
package import Storage

/// Picks the embedder of a tenant: the server's (`EMBEDDING_*`, falling back to `OPENAI_*`) unless
/// the tenant's `settings.rag.embedding` names its own model, base URL or dimensions.
///
/// A tenant base URL is reached through the transport's egress check, like a tenant's LLM base
/// URL, and only ever receives the tenant's own `embedding_api_key`: the server's key goes to the
/// server's own endpoint only. A model or dimensions without a base URL use the server's endpoint,
/// with the tenant's key when it stored one, else the server's. `EMBEDDING_PROVIDER_LOCAL` is the
/// server's embedder as configured. While a tenant's documents are reindexed after a change, its previous embedder is
/// kept (``TenantEmbedders/previous``) so that searches still find the vectors not yet replaced.
package struct TenantEmbedderDirectory: Sendable {
    private enum Source {
        /// One embedder for every tenant, whatever its settings (tests' own embedders).
        case fixed((any TextEmbedder)?)
        /// The server's service, and the transports to it and to the tenants' own.
        case configured(
            server: OpenAIEmbeddingClient.Configuration?, serverTransport: any ModelHTTPTransport,
            tenantTransport: any ModelHTTPTransport)
    }

    private let source: Source
    private let secrets: SecretsEnvelope

    /// A directory answering `embedder` for every tenant (settings ignored).
    ///
    /// - Parameter embedder: The embedder; `nil`: full-text search only.
    package init(fixed embedder: (any TextEmbedder)?) {
        self.source = .fixed(embedder)
        self.secrets = SecretsEnvelope(current: nil)
    }

    /// A directory honouring the tenants' settings.
    ///
    /// - Parameters:
    ///   - server: The server's embedding service; `nil` when none is configured (tenants without
    ///     their own base URL then get full-text search only).
    ///   - serverTransport: Sends the requests to the server's service.
    ///   - tenantTransport: Sends the requests to tenant base URLs, through its egress check.
    ///   - secrets: Opens the sealed tenant keys.
    package init(
        server: OpenAIEmbeddingClient.Configuration?, serverTransport: any ModelHTTPTransport,
        tenantTransport: any ModelHTTPTransport, secrets: SecretsEnvelope
    ) {
        self.source = .configured(server: server, serverTransport: serverTransport, tenantTransport: tenantTransport)
        self.secrets = secrets
    }

    /// The embedders of the tenant whose settings were read.
    func embedders(for settings: TenantSearchSettings, tenantID: UUID) -> TenantEmbedders {
        switch self.source {
        case .fixed(let embedder):
            return TenantEmbedders(current: embedder, previous: nil)
        case .configured(let server, let serverTransport, let tenantTransport):
            let transports = (server: serverTransport, tenant: tenantTransport)
            let current = self.embedder(
                settings.embedding, storedKey: settings.storedEmbeddingKey, keyColumn: "embedding_api_key",
                tenantID: tenantID, server: server, transports: transports)
            var previous = settings.previousEmbedding.flatMap {
                self.embedder(
                    $0, storedKey: settings.storedPreviousEmbeddingKey, keyColumn: "previous_embedding_api_key",
                    tenantID: tenantID, server: server, transports: transports)
            }
            // Chunks are told apart by model name (and dimension): one with the current name is
            // searched with the current embedder.
            if let kept = previous, kept.model == current?.model { previous = nil }
            return TenantEmbedders(current: current, previous: previous)
        }
    }

    /// Reads the tenant's settings and answers its embedders.
    package func embedders(for tenantID: UUID, pool: PostgresPool) async throws -> TenantEmbedders {
        if case .fixed(let embedder) = self.source { return TenantEmbedders(current: embedder, previous: nil) }
        return self.embedders(for: try await TenantSearchSettings.load(tenantID, pool: pool), tenantID: tenantID)
    }

    private func embedder(
        _ settings: Metachat_V1_EmbeddingSettings, storedKey: String?, keyColumn: String, tenantID: UUID,
        server: OpenAIEmbeddingClient.Configuration?,
        transports: (server: any ModelHTTPTransport, tenant: any ModelHTTPTransport)
    ) -> (any TextEmbedder)? {
        let tenantURL = !settings.baseURL.isEmpty && settings.baseURL != server?.baseURL
        if settings.provider == .local {
            return server.map {
                OpenAIEmbeddingClient(configuration: $0, transport: transports.server, tenantSupplied: false)
            }
        }
        let key = self.open(storedKey, column: keyColumn, tenantID: tenantID)
        var configuration: OpenAIEmbeddingClient.Configuration
        if tenantURL {
            // A tenant base URL gets the tenant's key or none, never the server's.
            configuration = OpenAIEmbeddingClient.Configuration(
                baseURL: settings.baseURL, apiKey: key ?? "", model: server?.model ?? "text-embedding-3-small")
        } else {
            guard let serverConfiguration = server else { return nil }
            configuration = serverConfiguration
            if let key { configuration.apiKey = key }
        }
        if !settings.model.isEmpty { configuration.model = settings.model }
        if settings.dimensions > 0 { configuration.dimensions = Int(settings.dimensions) }
        guard key != nil || storedKey == nil else {
            return UnusableEmbedder(
                model: configuration.model,
                reason: "the tenant's stored settings.rag.embedding.apiKey cannot be read; store it again")
        }
        return OpenAIEmbeddingClient(
            configuration: configuration, transport: tenantURL ? transports.tenant : transports.server,
            tenantSupplied: tenantURL)
    }

    /// The plaintext of a stored key (sealed or from before sealing); `nil` when none is stored or
    /// it does not open.
    private func open(_ stored: String?, column: String, tenantID: UUID) -> String? {
        guard let stored else { return nil }
        guard SecretsEnvelope.isSealed(stored) else { return stored }
        return try? self.secrets.open(
            stored, context: SecretContext(table: "tenants", column: column, rowID: tenantID.lowercasedString))
    }
}

/// The embedders a tenant's ingestion and searches use.
package struct TenantEmbedders: Sendable {
    /// The embedder of the tenant's settings; `nil`: full-text search only.
    package var current: (any TextEmbedder)?
    /// The embedder the tenant used before its last change, while documents still carry its
    /// vectors (another model name than `current`'s); `nil` otherwise.
    package var previous: (any TextEmbedder)?
}

/// An embedder whose every call fails permanently with a reason (a stored key that cannot be read).
struct UnusableEmbedder: TextEmbedder {
    let model: String
    let reason: String

    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw EmbeddingError(self.reason, isTransient: false)
    }
}
