internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage
internal import SwiftProtobuf

/// Answers `metachat.v1.TenantService`: creating, listing, reading, updating and disabling tenants.
///
/// Admins may do everything; a tenant key may read and update its own tenant (not `enabled` or
/// its rate limit) and gets `NOT_FOUND` for any other. Every change is written to `audit_log` in
/// the same transaction and announced to the ``TenantChangeListener`` after the commit. Provider
/// API keys in the settings are write-only: responses carry only their last four characters.
package struct TenantHandler: Metachat_V1_TenantService.Handler {
    private let pool: PostgresPool
    private let secrets: SecretsEnvelope
    private let outbound: OutboundHTTPClient?
    private let changes: any TenantChangeListener

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - pool: The database holding the tenants.
    ///   - secrets: Seals the provider API keys before they are stored.
    ///   - outbound: Checks tenant-supplied provider base URLs against the egress policy when they
    ///     are saved (they are checked again at every connection); `nil` skips the save-time check.
    ///   - changes: Told about every committed change, e.g. to drop cached tenant state.
    package init(
        pool: PostgresPool, secrets: SecretsEnvelope, outbound: OutboundHTTPClient? = nil,
        changes: any TenantChangeListener = IgnoringTenantChangeListener()
    ) {
        self.pool = pool
        self.secrets = secrets
        self.outbound = outbound
        self.changes = changes
    }

    package func createTenant(
        request: Metachat_V1_CreateTenantRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Tenant {
        try RequestTextCheck.check(request)
        let principal = try context.requireAdmin()
        let name = try TenantFieldRules.name(request.name)
        try TenantSettingsValidator.check(request.settings)
        try await self.checkEgress(before: nil, after: request.settings)
        let llmKey = request.settings.llm.apiKey
        let embeddingKey = request.settings.rag.embedding.apiKey
        try TenantSettingsValidator.checkSecret(llmKey, field: "settings.llm.apiKey")
        try TenantSettingsValidator.checkSecret(embeddingKey, field: "settings.rag.embedding.apiKey")
        try TenantFieldRules.checkMetadata(request.metadata)
        let enabled = request.hasEnabled ? request.enabled.value : true
        let settingsJSON = try TenantRow.settingsJSON(request.settings)
        let metadataJSON = try StoredMetadata.json(request.metadata)
        let settings = request.settings
        let row = try await self.storage {
            try await self.pool.withAdminTransaction { connection in
                let store = TenantStore(connection: connection, secrets: self.secrets)
                try await Self.checkTextSearchLanguage(settings, in: store)
                let row = try await store.insert(
                    name: name,
                    enabled: enabled,
                    settingsJSON: settingsJSON,
                    metadataJSON: metadataJSON,
                    llmAPIKey: llmKey.isEmpty ? nil : llmKey,
                    embeddingAPIKey: embeddingKey.isEmpty ? nil : embeddingKey
                )
                try await store.audit(
                    tenantID: row.tenant.id, actor: TenantAuditActor.name(of: principal), action: "tenant.created",
                    requestID: context.requestID, details: [:])
                try await OutboxWriter(connection: connection).append(
                    [try OutboxEvent.tenant(.tenantCreated, tenant: row.tenant)].compactMap { $0 })
                return row
            }
        }
        await self.changes.tenantChanged(tenantID: row.tenant.id)
        return row.tenant
    }

    package func listTenants(
        request: Metachat_V1_ListTenantsRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ListTenantsResponse {
        try RequestTextCheck.check(request)
        _ = try context.requireAdmin()
        guard request.pageSize >= 0 else {
            throw TenantFieldViolation.error("pageSize", "must not be negative")
        }
        let pageSize = request.pageSize == 0 ? 50 : min(Int(request.pageSize), 200)
        try TenantTextRules.check(request.nameQuery, field: "nameQuery", maximum: 200)
        let enabled = request.hasEnabled ? request.enabled.value : nil
        let nameQuery = request.nameQuery
        var cursor: (createdMicros: Int64, id: UUID)?
        if !request.pageToken.isEmpty {
            let token = try TenantPageToken(decoding: request.pageToken)
            guard token.enabled == enabled, token.nameQuery == nameQuery else {
                throw TenantFieldViolation.error("pageToken", "was issued for other filters")
            }
            cursor = (token.createdMicros, token.id)
        }
        let after = cursor
        let rows = try await self.storage {
            try await self.pool.withAdminTransaction { connection in
                try await TenantStore(connection: connection, secrets: self.secrets).list(
                    enabled: enabled, nameQuery: nameQuery, after: after, limit: pageSize + 1)
            }
        }
        var response = Metachat_V1_ListTenantsResponse()
        response.tenants = rows.prefix(pageSize).map(\.tenant)
        if rows.count > pageSize, let last = rows.prefix(pageSize).last,
            let lastID = UUID(canonicalText: last.tenant.id)
        {
            response.nextPageToken = TenantPageToken(
                createdMicros: last.createdMicros, id: lastID, enabled: enabled, nameQuery: nameQuery
            ).encoded()
        }
        return response
    }

    package func getTenant(
        request: Metachat_V1_GetTenantRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Tenant {
        try RequestTextCheck.check(request)
        let id = try TenantFieldRules.tenantID(request.tenantID)
        let principal = try Self.requireAccess(to: id, context: context)
        let row = try await self.storage {
            try await self.withScope(of: principal, tenantID: id) { connection in
                try await TenantStore(connection: connection, secrets: self.secrets).find(id: id)
            }
        }
        guard let row else { throw Self.notFound(id) }
        return row.tenant
    }

    package func updateTenant(
        request: Metachat_V1_UpdateTenantRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Tenant {
        // The tenant's fields are named relative to the tenant, as the mask and the settings
        // checks name them (`settings.llm.model`, not `tenant.settings.llm.model`).
        var outsideTenant = request
        outsideTenant.clearTenant()
        try RequestTextCheck.check(outsideTenant)
        try RequestTextCheck.check(request.tenant)
        let id = try TenantFieldRules.tenantID(request.tenantID)
        let principal = try Self.requireAccess(to: id, context: context)
        let body = request.tenant
        let mask = try TenantUpdateMask(mask: request.updateMask.paths, body: body)
        if !principal.isAdmin {
            if mask.touches("enabled") {
                throw RPCError(code: .permissionDenied, message: "A tenant key cannot enable or disable its tenant.")
            }
            if mask.touches("settings.rate_limit") {
                throw RPCError(code: .permissionDenied, message: "A tenant key cannot change its own rate limit.")
            }
        }
        let name = mask.covers("name") ? try TenantFieldRules.name(body.name) : nil
        if mask.covers("metadata") {
            try TenantFieldRules.checkMetadata(body.metadata)
        }
        let llmChange = mask.secretChange(at: "settings.llm.api_key", value: body.settings.llm.apiKey)
        let embeddingChange = mask.secretChange(
            at: "settings.rag.embedding.api_key", value: body.settings.rag.embedding.apiKey)
        if case .set(let key) = llmChange {
            try TenantSettingsValidator.checkSecret(key, field: "settings.llm.apiKey")
        }
        if case .set(let key) = embeddingChange {
            try TenantSettingsValidator.checkSecret(key, field: "settings.rag.embedding.apiKey")
        }
        let paths = mask.paths
        // Name resolution happens here, before the row lock is taken: a slow resolver never holds
        // the tenant's row (and a pooled connection) while it waits.
        let egressVerdicts = await self.egressVerdicts(
            for: [
                mask.covers("settings.llm.base_url") ? body.settings.llm.baseURL : "",
                mask.covers("settings.rag.embedding.base_url") ? body.settings.rag.embedding.baseURL : "",
            ])
        let row: TenantRow? = try await self.storage {
            try await self.withScope(of: principal, tenantID: id) { connection in
                let store = TenantStore(connection: connection, secrets: self.secrets)
                guard let current = try await store.find(id: id, forUpdate: true) else { return nil }
                var updated = current.tenant
                for entry in mask.entries {
                    entry.apply(&updated, body)
                }
                if let name {
                    updated.name = name
                }
                try TenantSettingsValidator.check(updated.settings)
                try await self.checkEgress(
                    before: current.tenant.settings, after: updated.settings, verdicts: egressVerdicts)
                try Self.checkStoredKeysStayWithTheirHost(
                    before: current.tenant.settings, after: updated.settings, llmChange: llmChange,
                    embeddingChange: embeddingChange)
                try await Self.checkTextSearchLanguage(updated.settings, in: store)
                if TenantEmbeddingChange.changesVectors(
                    before: current.tenant.settings.rag.embedding, after: updated.settings.rag.embedding)
                {
                    // Every document is embedded again in the background; until then searches
                    // also embed questions with the embedder being replaced.
                    let queued = try await TenantEmbeddingReindex.queue(tenantID: id, on: connection)
                    try await store.retireEmbedding(
                        id: id, previous: queued > 0 ? current.tenant.settings.rag.embedding : nil)
                }
                let row = try await store.update(
                    id: id,
                    name: updated.name,
                    enabled: updated.enabled,
                    settingsJSON: try TenantRow.settingsJSON(updated.settings),
                    metadataJSON: try StoredMetadata.json(updated.metadata),
                    llmAPIKey: llmChange,
                    embeddingAPIKey: embeddingChange
                )
                try await store.audit(
                    tenantID: current.tenant.id, actor: TenantAuditActor.name(of: principal),
                    action: "tenant.updated", requestID: context.requestID, details: ["paths": paths])
                if let row {
                    try await OutboxWriter(connection: connection).append(
                        [try OutboxEvent.tenant(.tenantUpdated, tenant: row.tenant, changedFields: paths)]
                            .compactMap { $0 })
                }
                return row
            }
        }
        guard let row else { throw Self.notFound(id) }
        await self.changes.tenantChanged(tenantID: row.tenant.id)
        return row.tenant
    }

    package func disableTenant(
        request: Metachat_V1_DisableTenantRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_Tenant {
        try RequestTextCheck.check(request)
        let principal = try context.requireAdmin()
        let id = try TenantFieldRules.tenantID(request.tenantID)
        let outcome: (row: TenantRow, changed: Bool)? = try await self.storage {
            try await self.pool.withAdminTransaction { connection in
                let store = TenantStore(connection: connection, secrets: self.secrets)
                guard let current = try await store.find(id: id, forUpdate: true) else { return nil }
                guard current.tenant.enabled else { return (current, false) }
                guard let row = try await store.disable(id: id) else { return nil }
                try await store.audit(
                    tenantID: row.tenant.id, actor: TenantAuditActor.name(of: principal), action: "tenant.disabled",
                    requestID: context.requestID, details: [:])
                try await OutboxWriter(connection: connection).append(
                    [try OutboxEvent.tenant(.tenantDisabled, tenant: row.tenant)].compactMap { $0 })
                return (row, true)
            }
        }
        guard let outcome else { throw Self.notFound(id) }
        if outcome.changed {
            await self.changes.tenantChanged(tenantID: outcome.row.tenant.id)
        }
        return outcome.row.tenant
    }

    // MARK: - Helpers

    /// What the egress policy says of each URL an update may save, worked out before any
    /// transaction: `nil` when the URL is allowed, the refusal otherwise. Empty URLs are skipped.
    private func egressVerdicts(for urls: [String]) async -> [String: EgressRefusal?] {
        guard let outbound = self.outbound else { return [:] }
        var verdicts: [String: EgressRefusal?] = [:]
        for url in urls where !url.isEmpty && verdicts[url] == nil {
            do {
                try await outbound.check(url: url, requireHTTPS: false)
                verdicts[url] = .some(nil)
            } catch let refusal as EgressRefusal {
                verdicts[url] = .some(refusal)
            } catch {
                verdicts[url] = .some(EgressRefusal("\(url) could not be checked: \(error)"))
            }
        }
        return verdicts
    }

    /// Refuses provider base URLs the egress policy would refuse at connect time (checked here
    /// only when they change, so a saved URL never blocks unrelated updates). A URL in `verdicts`
    /// was checked before the transaction; any other (a concurrent update changed what the mask
    /// leaves in place) is checked now.
    private func checkEgress(
        before: Metachat_V1_TenantSettings?, after: Metachat_V1_TenantSettings,
        verdicts: [String: EgressRefusal?] = [:]
    ) async throws {
        guard let outbound = self.outbound else { return }
        let urls = [
            ("settings.llm.baseUrl", before?.llm.baseURL, after.llm.baseURL),
            ("settings.rag.embedding.baseUrl", before?.rag.embedding.baseURL, after.rag.embedding.baseURL),
        ]
        for (field, old, new) in urls where !new.isEmpty && new != old {
            if let verdict = verdicts[new] {
                if let refusal = verdict { throw TenantFieldViolation.error(field, "is refused: \(refusal)") }
                continue
            }
            do {
                try await outbound.check(url: new, requireHTTPS: false)
            } catch let refusal as EgressRefusal {
                throw TenantFieldViolation.error(field, "is refused: \(refusal)")
            }
        }
    }

    /// A stored provider key is never sent to another host: an update that moves where the key
    /// goes (the base URL, or a provider with another default endpoint) must give the key again
    /// (or clear it).
    private static func checkStoredKeysStayWithTheirHost(
        before: Metachat_V1_TenantSettings, after: Metachat_V1_TenantSettings, llmChange: TenantSecretChange,
        embeddingChange: TenantSecretChange
    ) throws {
        if llmChange == .keep, !before.llm.apiKeyLastFour.isEmpty,
            Self.keyDestination(provider: before.llm.provider.rawValue, baseURL: before.llm.baseURL)
                != Self.keyDestination(provider: after.llm.provider.rawValue, baseURL: after.llm.baseURL)
        {
            throw RPCError(
                code: .failedPrecondition,
                message: "settings.llm.apiKey must be given again (or cleared) when settings.llm.baseUrl or"
                    + " settings.llm.provider moves it to another endpoint: a stored key is never sent to another host")
        }
        let beforeEmbedding = before.rag.embedding
        let afterEmbedding = after.rag.embedding
        if embeddingChange == .keep, !beforeEmbedding.apiKeyLastFour.isEmpty,
            Self.keyDestination(provider: beforeEmbedding.provider.rawValue, baseURL: beforeEmbedding.baseURL)
                != Self.keyDestination(provider: afterEmbedding.provider.rawValue, baseURL: afterEmbedding.baseURL)
        {
            throw RPCError(
                code: .failedPrecondition,
                message: "settings.rag.embedding.apiKey must be given again (or cleared) when"
                    + " settings.rag.embedding.baseUrl or settings.rag.embedding.provider moves it to another"
                    + " endpoint: a stored key is never sent to another host")
        }
    }

    /// Where a provider key goes: the base URL when one is set, else the provider's default
    /// endpoint (unset, local and OpenAI all mean the server's OpenAI endpoint).
    private static func keyDestination(provider: Int, baseURL: String) -> String {
        if !baseURL.isEmpty { return "url " + baseURL.lowercased() }
        return provider <= Metachat_V1_LlmProvider.openai.rawValue ? "openai" : "provider \(provider)"
    }

    /// The caller, who must be an admin or tenant `id` itself (compared as UUIDs, whatever the case
    /// of the request's text).
    static func requireAccess(to id: UUID, context: ServerContext) throws -> Principal {
        if let principal = context.principal, case .tenant(let own, _) = principal, UUID(canonicalText: own) == id {
            return principal
        }
        return try context.requireAccess(toTenant: id.lowercasedString)
    }

    /// Runs `body` in a transaction whose row-level security scope fits the caller: every tenant
    /// for admins, only tenant `tenantID` for a tenant key.
    func withScope<Result: Sendable>(
        of principal: Principal,
        tenantID: UUID,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        if principal.isAdmin {
            return try await self.pool.withAdminTransaction { try await body($0) }
        }
        return try await self.pool.withTenantTransaction(tenantID: tenantID) { try await body($0) }
    }

    /// Runs a storage call, turning PostgreSQL failures into RPC statuses.
    func storage<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    /// Refuses a `textSearchLanguage` PostgreSQL does not know.
    private static func checkTextSearchLanguage(_ settings: Metachat_V1_TenantSettings, in store: TenantStore)
        async throws
    {
        let language = settings.rag.textSearchLanguage
        guard !language.isEmpty else { return }
        guard try await store.textSearchConfigurationExists(language) else {
            throw TenantFieldViolation.error(
                "settings.rag.textSearchLanguage", "is not a text search configuration of the database")
        }
    }

    static func notFound(_ id: UUID) -> RPCError {
        RPCError(code: .notFound, message: "Tenant \(id.lowercasedString) was not found.")
    }
}
