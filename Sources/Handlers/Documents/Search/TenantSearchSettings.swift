internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// The retrieval settings of a tenant (`settings.rag`) that ingestion and search need.
struct TenantSearchSettings: Sendable {
    /// The text search configuration: `rag.text_search_language` when PostgreSQL has it, else
    /// `simple`.
    var language: String
    /// `rag.top_k`, 5 when unset.
    var topK: Int
    /// `rag.min_score`, 0 when unset.
    var minScore: Double
    /// `rag.embedding` (its key fields empty).
    var embedding = Metachat_V1_EmbeddingSettings()
    /// The stored `embedding_api_key` as the column holds it (sealed or not); `nil` when none.
    var storedEmbeddingKey: String?
    /// The embedding settings before the last change of model, endpoint or dimensions, kept
    /// while the tenant's documents are reindexed; `nil` when none.
    var previousEmbedding: Metachat_V1_EmbeddingSettings?
    /// The stored `previous_embedding_api_key`; `nil` when none.
    var storedPreviousEmbeddingKey: String?

    /// Reads the tenant's settings.
    static func load(_ tenantID: UUID, pool: PostgresPool) async throws -> TenantSearchSettings {
        try await pool.withTenantTransaction(tenantID: tenantID) { connection in
            let rows = try await connection.query(
                """
                SELECT coalesce((settings #>> '{rag,topK}')::int, 0) AS top_k,
                    coalesce((settings #>> '{rag,minScore}')::float8, 0) AS min_score,
                    coalesce((SELECT cfgname::text FROM pg_ts_config
                              WHERE cfgname = settings #>> '{rag,textSearchLanguage}' LIMIT 1), 'simple') AS language,
                    coalesce(settings #> '{rag,embedding}', '{}')::text AS embedding, embedding_api_key,
                    previous_embedding::text AS previous_embedding, previous_embedding_api_key
                FROM tenants WHERE id = \(tenantID)
                """
            )
            guard let row = rows.first else { return TenantSearchSettings(language: "simple", topK: 5, minScore: 0) }
            let topK = try row.decode("top_k", as: Int.self)
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = true
            let embedding = try row.decode("embedding", as: String.self)
            let previous = try row.decode("previous_embedding", as: String?.self)
            return TenantSearchSettings(
                language: try row.decode("language", as: String.self),
                topK: topK > 0 ? min(50, topK) : 5,
                minScore: min(1, max(0, try row.decode("min_score", as: Double.self))),
                embedding: (try? Metachat_V1_EmbeddingSettings(jsonString: embedding, options: options)) ?? .init(),
                storedEmbeddingKey: try row.decode("embedding_api_key", as: String?.self),
                previousEmbedding: previous.map {
                    (try? Metachat_V1_EmbeddingSettings(jsonString: $0, options: options)) ?? .init()
                },
                storedPreviousEmbeddingKey: try row.decode("previous_embedding_api_key", as: String?.self))
        }
    }
}
