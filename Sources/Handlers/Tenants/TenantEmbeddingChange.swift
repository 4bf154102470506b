internal import MetaChatAPI

/// Whether a change of `settings.rag.embedding` makes the tenant's stored vectors incomparable
/// with the questions embedded from then on: another provider, model, base URL or number of
/// dimensions does; a new API key alone does not.
enum TenantEmbeddingChange {
    /// `true` when vectors embedded under `before` cannot be searched with questions embedded
    /// under `after`.
    static func changesVectors(before: Metachat_V1_EmbeddingSettings, after: Metachat_V1_EmbeddingSettings)
        -> Bool
    {
        before.provider != after.provider || before.model != after.model || before.baseURL != after.baseURL
            || before.dimensions != after.dimensions
    }
}
