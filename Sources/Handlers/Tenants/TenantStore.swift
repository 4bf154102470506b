internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// The SQL of the tenant endpoints, run on a connection inside a transaction whose row-level
/// security scope the caller chose.
struct TenantStore {
    /// The connection, leased inside a transaction.
    let connection: PostgresConnection
    /// Seals the provider API keys before they are written.
    let secrets: SecretsEnvelope

    /// Inserts a tenant and returns it; provider keys are stored sealed.
    ///
    /// - Throws: ``SecretsEnvelopeError/noKey`` (as FAILED_PRECONDITION naming the field) when a
    ///   key is given and no `SECRETS_ENCRYPTION_KEY` is configured.
    func insert(
        name: String,
        enabled: Bool,
        settingsJSON: String,
        metadataJSON: String,
        llmAPIKey: String?,
        embeddingAPIKey: String?
    ) async throws -> TenantRow {
        let id = UUID()
        let sealedLLMKey = try llmAPIKey.map { try self.seal($0, column: "llm_api_key", tenantID: id) }
        let sealedEmbeddingKey = try embeddingAPIKey.map {
            try self.seal($0, column: "embedding_api_key", tenantID: id)
        }
        let rows = try await self.connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO tenants (id, name, enabled, disabled_at, settings, metadata,
                        llm_api_key, llm_api_key_last_four, embedding_api_key, embedding_api_key_last_four)
                    VALUES ($9, $1, $2, CASE WHEN $2 THEN NULL ELSE now() END, $3, $4, $5, $6, $7, $8)
                    RETURNING \(TenantRow.columns)
                    """,
                binds: [
                    .text(name), .bool(enabled), .jsonb(settingsJSON), .jsonb(metadataJSON),
                    sealedLLMKey.map(PostgresValue.text), llmAPIKey.map { .text(SecretsEnvelope.lastFour(of: $0)) },
                    sealedEmbeddingKey.map(PostgresValue.text),
                    embeddingAPIKey.map { .text(SecretsEnvelope.lastFour(of: $0)) }, .uuid(id),
                ]
            )
        )
        return try TenantRow(rows[0])
    }

    /// The tenant with `id`, locked for the rest of the transaction when `forUpdate`; `nil` when
    /// it does not exist or the scope does not show it.
    func find(id: UUID, forUpdate: Bool = false) async throws -> TenantRow? {
        let rows = try await self.connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT \(TenantRow.columns) FROM tenants WHERE id = $1"
                    + (forUpdate ? " FOR UPDATE" : ""),
                binds: [.uuid(id)]
            )
        )
        return try rows.first.map(TenantRow.init)
    }

    /// Writes the updatable columns of a tenant and returns it. `enabled` moves `disabled_at`:
    /// cleared when enabled, set to now when it becomes disabled, kept while it stays disabled.
    func update(
        id: UUID,
        name: String,
        enabled: Bool,
        settingsJSON: String,
        metadataJSON: String,
        llmAPIKey: TenantSecretChange,
        embeddingAPIKey: TenantSecretChange
    ) async throws -> TenantRow? {
        var binds: [PostgresValue?] = [
            .uuid(id), .text(name), .bool(enabled), .jsonb(settingsJSON), .jsonb(metadataJSON),
        ]
        var assignments = ""
        for (column, change) in [("llm_api_key", llmAPIKey), ("embedding_api_key", embeddingAPIKey)] {
            switch change {
            case .keep:
                continue
            case .clear:
                assignments += ", \(column) = NULL, \(column)_last_four = NULL"
            case .set(let key):
                binds.append(.text(try self.seal(key, column: column, tenantID: id)))
                binds.append(.text(SecretsEnvelope.lastFour(of: key)))
                assignments += ", \(column) = $\(binds.count - 1), \(column)_last_four = $\(binds.count)"
            }
        }
        let rows = try await self.connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE tenants SET name = $2, enabled = $3,
                        disabled_at = CASE WHEN $3 THEN NULL ELSE coalesce(disabled_at, now()) END,
                        settings = $4, metadata = $5\(assignments)
                    WHERE id = $1
                    RETURNING \(TenantRow.columns)
                    """,
                binds: binds
            )
        )
        return try rows.first.map(TenantRow.init)
    }

    /// Keeps `previous` (the tenant's embedding settings before a change that makes its vectors
    /// stale) and the embedding key stored now, sealed again for `previous_embedding_api_key`, as
    /// the tenant's previous embedder: searches embed questions with it too until the reindex is
    /// done. `nil` forgets any previous embedder. Runs before ``update(id:name:enabled:settingsJSON:metadataJSON:llmAPIKey:embeddingAPIKey:)``
    /// replaces the key.
    func retireEmbedding(id: UUID, previous: Metachat_V1_EmbeddingSettings?) async throws {
        guard var previous else {
            try await self.connection.execute(
                "UPDATE tenants SET previous_embedding = NULL, previous_embedding_api_key = NULL WHERE id = \(id)")
            return
        }
        previous.apiKey = ""
        previous.apiKeyLastFour = ""
        let rows = try await self.connection.query("SELECT embedding_api_key FROM tenants WHERE id = \(id)")
        var key: String?
        if let stored = try rows.first?.decode("embedding_api_key", as: String?.self) {
            if SecretsEnvelope.isSealed(stored) {
                let context = SecretContext(table: "tenants", column: "embedding_api_key", rowID: id.lowercasedString)
                // A key that no longer opens is not kept: the previous embedder then runs without one.
                if let plaintext = try? self.secrets.open(stored, context: context) {
                    key = try self.seal(plaintext, column: "previous_embedding_api_key", tenantID: id)
                }
            } else {
                // Plaintext from before sealing stays plaintext; `serve` seals it at start-up.
                key = stored
            }
        }
        try await self.connection.execute(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE tenants SET previous_embedding = $2, previous_embedding_api_key = $3 WHERE id = $1
                    """,
                binds: [.uuid(id), .jsonb(try previous.jsonString()), key.map(PostgresValue.text)]))
    }

    /// Seals a provider key for the tenant's row.
    private func seal(_ key: String, column: String, tenantID: UUID) throws -> String {
        do {
            return try self.secrets.seal(
                key, context: SecretContext(table: "tenants", column: column, rowID: tenantID.lowercasedString))
        } catch {
            let field = column == "llm_api_key" ? "settings.llm.apiKey" : "settings.rag.embedding.apiKey"
            throw RPCError(code: .failedPrecondition, message: "\(field) cannot be stored: \(error)")
        }
    }

    /// Disables a tenant (keeping `disabled_at` when it already was) and returns it.
    func disable(id: UUID) async throws -> TenantRow? {
        let rows = try await self.connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE tenants SET enabled = false, disabled_at = coalesce(disabled_at, now())
                    WHERE id = $1
                    RETURNING \(TenantRow.columns)
                    """,
                binds: [.uuid(id)]
            )
        )
        return try rows.first.map(TenantRow.init)
    }

    /// Up to `limit` tenants, newest first, after the cursor when given.
    func list(
        enabled: Bool?,
        nameQuery: String,
        after cursor: (createdMicros: Int64, id: UUID)?,
        limit: Int
    ) async throws -> [TenantRow] {
        let rows = try await self.connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(TenantRow.columns) FROM tenants
                    WHERE ($1::bool IS NULL OR enabled = $1::bool)
                      AND ($2::text = '' OR strpos(lower(name), lower($2::text)) > 0)
                      AND ($3::int8 IS NULL
                           OR ((extract(epoch FROM created_at) * 1000000)::int8, id) < ($3::int8, $4::uuid))
                    ORDER BY created_at DESC, id DESC
                    LIMIT $5
                    """,
                binds: [
                    enabled.map(PostgresValue.bool), .text(nameQuery),
                    cursor.map { .int64($0.createdMicros) }, cursor.map { .uuid($0.id) }, .int64(Int64(limit)),
                ]
            )
        )
        return try rows.map(TenantRow.init)
    }

    /// Whether PostgreSQL has a text search configuration with this name.
    func textSearchConfigurationExists(_ name: String) async throws -> Bool {
        let rows = try await self.connection.query(
            "SELECT count(*) AS n FROM pg_catalog.pg_ts_config WHERE cfgname = \(name)")
        return try rows[0].decode("n", as: Int.self) > 0
    }

    /// Appends an audit entry about tenant `tenantID`.
    func audit(
        tenantID: String, actor: String, action: String, requestID: String, details: [String: [String]]
    ) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let detailsJSON = String(decoding: try encoder.encode(details), as: UTF8.self)
        let tenant = UUID(canonicalText: tenantID)
        try await self.connection.execute(
            """
            INSERT INTO audit_log (tenant_id, actor, action, target, request_id, details)
            VALUES (\(tenant), \(actor), \(action), \(tenantID), \(requestID.isEmpty ? nil : requestID), \
            \(PostgresValue.jsonb(detailsJSON)))
            """
        )
    }
}
