internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A `tenants` row as the tenant store reads it, turned into the `Tenant` clients see: the
/// settings JSON never holds API keys, and only their last four characters are filled in.
struct TenantRow {
    /// The columns every tenant query selects or returns, in SQL.
    static let columns = """
        id, name, enabled, settings, metadata, created_at, updated_at, disabled_at,
        llm_api_key_last_four, embedding_api_key_last_four,
        (extract(epoch FROM created_at) * 1000000)::int8 AS created_micros
        """

    /// The tenant as responses show it.
    var tenant: Metachat_V1_Tenant
    /// `created_at` in microseconds since 1970, exactly as PostgreSQL holds it (the page cursor).
    var createdMicros: Int64

    /// Decodes a row selected with ``columns``.
    init(_ row: PostgresRow) throws {
        var tenant = Metachat_V1_Tenant()
        tenant.id = try row.decode("id", as: UUID.self).lowercasedString
        tenant.name = try row.decode("name", as: String.self)
        tenant.enabled = try row.decode("enabled", as: Bool.self)
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        let settings = try Metachat_V1_TenantSettings(
            jsonString: try row.decode("settings", as: String.self), options: options)
        tenant.settings = settings
        let metadata = try row.decode("metadata", as: String.self)
        tenant.metadata = try StoredMetadata.decode(metadata)
        tenant.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        tenant.updatedAt = Google_Protobuf_Timestamp(date: try row.decode("updated_at", as: Date.self))
        if let disabledAt = try row.decode("disabled_at", as: Date?.self) {
            tenant.disabledAt = Google_Protobuf_Timestamp(date: disabledAt)
        }
        if let lastFour = try row.decode("llm_api_key_last_four", as: String?.self) {
            tenant.settings.llm.apiKeyLastFour = lastFour
        }
        if let lastFour = try row.decode("embedding_api_key_last_four", as: String?.self) {
            tenant.settings.rag.embedding.apiKeyLastFour = lastFour
        }
        self.tenant = tenant
        self.createdMicros = try row.decode("created_micros", as: Int64.self)
    }

    /// The JSON stored in `settings`: the protobuf JSON of `settings` without API keys and their
    /// last four characters, which live in columns of their own.
    static func settingsJSON(_ settings: Metachat_V1_TenantSettings) throws -> String {
        var stored = settings
        if stored.hasLlm {
            stored.llm.apiKey = ""
            stored.llm.apiKeyLastFour = ""
        }
        if stored.hasRag, stored.rag.hasEmbedding {
            stored.rag.embedding.apiKey = ""
            stored.rag.embedding.apiKeyLastFour = ""
        }
        return try stored.jsonString()
    }
}
