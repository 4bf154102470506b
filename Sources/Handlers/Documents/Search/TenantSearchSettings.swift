internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// The retrieval settings of a tenant (`settings.rag`) that ingestion and search need.
struct TenantSearchSettings: Sendable {
    /// The text search configuration: `rag.text_search_language` when PostgreSQL has it, else
    /// `simple`.
    var language: String
    /// `rag.top_k`, 5 when unset.
    var topK: Int
    /// `rag.min_score`, 0 when unset.
    var minScore: Double

    /// Reads the tenant's settings.
    static func load(_ tenantID: UUID, pool: PostgresPool) async throws -> TenantSearchSettings {
        try await pool.withTenantTransaction(tenantID: tenantID) { connection in
            let rows = try await connection.query(
                """
                SELECT coalesce((settings #>> '{rag,topK}')::int, 0) AS top_k,
                    coalesce((settings #>> '{rag,minScore}')::float8, 0) AS min_score,
                    coalesce((SELECT cfgname::text FROM pg_ts_config
                              WHERE cfgname = settings #>> '{rag,textSearchLanguage}' LIMIT 1), 'simple') AS language
                FROM tenants WHERE id = \(tenantID)
                """
            )
            guard let row = rows.first else { return TenantSearchSettings(language: "simple", topK: 5, minScore: 0) }
            let topK = try row.decode("top_k", as: Int.self)
            return TenantSearchSettings(
                language: try row.decode("language", as: String.self),
                topK: topK > 0 ? min(50, topK) : 5,
                minScore: min(1, max(0, try row.decode("min_score", as: Double.self))))
        }
    }
}
