internal import MetaChatAPI
internal import RPCServer

/// The fields an UpdateTenant changes, from its `update_mask`, and how each is copied from the
/// request's `tenant` onto the stored one.
///
/// Paths are relative to `Tenant` in snake_case (`settings.rag.top_k`); lowerCamelCase is accepted
/// too. A message path (`settings.llm`) replaces the whole sub-message; maps and lists are replaced
/// whole. An empty mask means every leaf field of `tenant` holding a non-default value (what a gRPC
/// client without a mask means, and what the REST bridge's inferred mask names).
///
/// Write-only API keys change only when the request provides one: a non-empty value under any
/// named path sets it; an empty value clears it only when the key's own path is named
/// (`settings.llm.api_key`), so replacing `settings.llm` without a key keeps the stored one.
struct TenantUpdateMask {
    /// One updatable path.
    struct Entry {
        /// The path in snake_case.
        var path: String
        /// Copies the field from the request's tenant onto the stored tenant.
        var apply: (inout Metachat_V1_Tenant, Metachat_V1_Tenant) -> Void
        /// For leaf paths: whether the request's tenant holds a non-default value there.
        var isSet: ((Metachat_V1_Tenant) -> Bool)?
    }

    /// The resolved paths, in the order of the mask, without duplicates.
    let entries: [Entry]

    /// The resolved paths in snake_case.
    var paths: [String] { self.entries.map(\.path) }

    /// Resolves `mask` against `body`.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `updateMask` for an unknown or output-only path, or when
    ///   the mask is empty and the body sets no field.
    init(mask: [String], body: Metachat_V1_Tenant) throws {
        let table = Self.table()
        var entries: [Entry] = []
        var seen: Set<String> = []
        if mask.isEmpty {
            for entry in table.leaves where entry.isSet?(body) == true {
                entries.append(entry)
            }
            guard !entries.isEmpty else {
                throw TenantFieldViolation.error("updateMask", "is empty and the tenant sets no field to change")
            }
        }
        for raw in mask {
            let path = Self.snakeCase(raw)
            if Self.outputOnly.contains(path) {
                throw TenantFieldViolation.error("updateMask", "names \"\(path)\", which is output only")
            }
            guard let entry = table.byPath[path] else {
                throw TenantFieldViolation.error("updateMask", "names \"\(path)\", which is not a field of Tenant")
            }
            if seen.insert(path).inserted {
                entries.append(entry)
            }
        }
        self.entries = entries
    }

    /// Whether the mask names `path` or one of its parents.
    func covers(_ path: String) -> Bool {
        self.paths.contains { path == $0 || path.hasPrefix($0 + ".") }
    }

    /// Whether the mask names `path`, one of its parents or one of its children.
    func touches(_ path: String) -> Bool {
        self.paths.contains { path == $0 || path.hasPrefix($0 + ".") || $0.hasPrefix(path + ".") }
    }

    /// What the update does to the write-only key at `path` (`settings.llm.api_key` or
    /// `settings.rag.embedding.api_key`), whose value in the request is `value`.
    func secretChange(at path: String, value: String) -> TenantSecretChange {
        if self.paths.contains(path) {
            return value.isEmpty ? .clear : .set(value)
        }
        return self.covers(path) && !value.isEmpty ? .set(value) : .keep
    }

    /// Paths that exist but only the server writes.
    static let outputOnly: Set<String> = [
        "id", "created_at", "updated_at", "disabled_at",
        "settings.llm.api_key_last_four", "settings.rag.embedding.api_key_last_four",
    ]

    /// `settings.rag.topK` → `settings.rag.top_k`.
    static func snakeCase(_ path: String) -> String {
        var result = ""
        for character in path {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func table() -> (byPath: [String: Entry], leaves: [Entry]) {
        var leaves: [Entry] = []
        var messages: [Entry] = []
        func leaf<Value>(
            _ path: String, _ keyPath: WritableKeyPath<Metachat_V1_Tenant, Value>,
            isSet: @escaping (Metachat_V1_Tenant) -> Bool
        ) {
            leaves.append(Entry(path: path, apply: { $0[keyPath: keyPath] = $1[keyPath: keyPath] }, isSet: isSet))
        }
        func message<Value>(_ path: String, _ keyPath: WritableKeyPath<Metachat_V1_Tenant, Value>) {
            messages.append(Entry(path: path, apply: { $0[keyPath: keyPath] = $1[keyPath: keyPath] }, isSet: nil))
        }
        leaf("name", \.name) { !$0.name.isEmpty }
        leaf("enabled", \.enabled) { $0.enabled }
        leaf("metadata", \.metadata) { !$0.metadata.isEmpty }
        message("settings", \.settings)

        message("settings.llm", \.settings.llm)
        leaf("settings.llm.provider", \.settings.llm.provider) { $0.settings.llm.provider != .unspecified }
        leaf("settings.llm.model", \.settings.llm.model) { !$0.settings.llm.model.isEmpty }
        leaf("settings.llm.base_url", \.settings.llm.baseURL) { !$0.settings.llm.baseURL.isEmpty }
        leaf("settings.llm.temperature", \.settings.llm.temperature) { $0.settings.llm.hasTemperature }
        leaf("settings.llm.max_tokens", \.settings.llm.maxTokens) { $0.settings.llm.maxTokens != 0 }
        leaf("settings.llm.system_prompt", \.settings.llm.systemPrompt) { !$0.settings.llm.systemPrompt.isEmpty }
        leaf("settings.llm.api_key", \.settings.llm.apiKey) { !$0.settings.llm.apiKey.isEmpty }
        leaf("settings.llm.request_timeout", \.settings.llm.requestTimeout) { $0.settings.llm.hasRequestTimeout }

        message("settings.rag", \.settings.rag)
        leaf("settings.rag.enabled", \.settings.rag.enabled) { $0.settings.rag.hasEnabled }
        leaf("settings.rag.top_k", \.settings.rag.topK) { $0.settings.rag.topK != 0 }
        leaf("settings.rag.min_score", \.settings.rag.minScore) { $0.settings.rag.minScore != 0 }
        leaf("settings.rag.text_search_language", \.settings.rag.textSearchLanguage) {
            !$0.settings.rag.textSearchLanguage.isEmpty
        }
        message("settings.rag.embedding", \.settings.rag.embedding)
        leaf("settings.rag.embedding.provider", \.settings.rag.embedding.provider) {
            $0.settings.rag.embedding.provider != .unspecified
        }
        leaf("settings.rag.embedding.model", \.settings.rag.embedding.model) {
            !$0.settings.rag.embedding.model.isEmpty
        }
        leaf("settings.rag.embedding.dimensions", \.settings.rag.embedding.dimensions) {
            $0.settings.rag.embedding.dimensions != 0
        }
        leaf("settings.rag.embedding.base_url", \.settings.rag.embedding.baseURL) {
            !$0.settings.rag.embedding.baseURL.isEmpty
        }
        leaf("settings.rag.embedding.api_key", \.settings.rag.embedding.apiKey) {
            !$0.settings.rag.embedding.apiKey.isEmpty
        }

        message("settings.escalation", \.settings.escalation)
        leaf("settings.escalation.enabled", \.settings.escalation.enabled) { $0.settings.escalation.enabled }
        leaf("settings.escalation.keywords", \.settings.escalation.keywords) {
            !$0.settings.escalation.keywords.isEmpty
        }
        leaf("settings.escalation.confidence_threshold", \.settings.escalation.confidenceThreshold) {
            $0.settings.escalation.confidenceThreshold != 0
        }
        leaf("settings.escalation.handoff_message", \.settings.escalation.handoffMessage) {
            !$0.settings.escalation.handoffMessage.isEmpty
        }
        leaf("settings.escalation.mode", \.settings.escalation.mode) { $0.settings.escalation.mode != .unspecified }
        leaf("settings.escalation.high_stakes_keywords", \.settings.escalation.highStakesKeywords) {
            !$0.settings.escalation.highStakesKeywords.isEmpty
        }
        leaf("settings.escalation.disclaimer_enabled", \.settings.escalation.disclaimerEnabled) {
            $0.settings.escalation.hasDisclaimerEnabled
        }
        leaf("settings.escalation.disclaimer_text", \.settings.escalation.disclaimerText) {
            !$0.settings.escalation.disclaimerText.isEmpty
        }
        leaf("settings.escalation.always_escalate_levels", \.settings.escalation.alwaysEscalateLevels) {
            !$0.settings.escalation.alwaysEscalateLevels.isEmpty
        }

        message("settings.retention", \.settings.retention)
        leaf("settings.retention.message_retention_days", \.settings.retention.messageRetentionDays) {
            $0.settings.retention.messageRetentionDays != 0
        }
        leaf("settings.retention.api_log_retention_days", \.settings.retention.apiLogRetentionDays) {
            $0.settings.retention.apiLogRetentionDays != 0
        }
        leaf("settings.retention.archive_before_delete", \.settings.retention.archiveBeforeDelete) {
            $0.settings.retention.archiveBeforeDelete
        }

        message("settings.widget", \.settings.widget)
        leaf("settings.widget.title", \.settings.widget.title) { !$0.settings.widget.title.isEmpty }
        leaf("settings.widget.greeting", \.settings.widget.greeting) { !$0.settings.widget.greeting.isEmpty }
        leaf("settings.widget.primary_color", \.settings.widget.primaryColor) {
            !$0.settings.widget.primaryColor.isEmpty
        }
        leaf("settings.widget.allowed_origins", \.settings.widget.allowedOrigins) {
            !$0.settings.widget.allowedOrigins.isEmpty
        }

        message("settings.rate_limit", \.settings.rateLimit)
        leaf("settings.rate_limit.requests_per_window", \.settings.rateLimit.requestsPerWindow) {
            $0.settings.rateLimit.requestsPerWindow != 0
        }
        leaf("settings.rate_limit.window_seconds", \.settings.rateLimit.windowSeconds) {
            $0.settings.rateLimit.windowSeconds != 0
        }

        message("settings.quota", \.settings.quota)
        leaf("settings.quota.monthly_token_quota", \.settings.quota.monthlyTokenQuota) {
            $0.settings.quota.monthlyTokenQuota != 0
        }
        leaf("settings.quota.monthly_message_quota", \.settings.quota.monthlyMessageQuota) {
            $0.settings.quota.monthlyMessageQuota != 0
        }

        var byPath: [String: Entry] = [:]
        for entry in leaves + messages {
            byPath[entry.path] = entry
        }
        return (byPath, leaves)
    }
}
