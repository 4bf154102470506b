internal import MetaChatAPI
internal import SwiftProtobuf

/// Checks tenant settings against the limits `proto/metachat/v1/tenants.proto` documents on each
/// field. The first bad value throws `INVALID_ARGUMENT` naming its JSON path, e.g.
/// `settings.rag.topK must be between 0 and 50`.
///
/// Write-only API keys are checked by ``checkSecret(_:field:)``; the output-only `apiKeyLastFour`
/// fields are ignored (clients may send back what they read).
enum TenantSettingsValidator {
    /// Checks every part of `settings`.
    static func check(_ settings: Metachat_V1_TenantSettings) throws {
        try self.checkLlm(settings.llm)
        try self.checkRag(settings.rag)
        try self.checkEscalation(settings.escalation)
        try self.checkRetention(settings.retention)
        try self.checkWidget(settings.widget)
        try self.checkRateLimit(settings.rateLimit)
        try self.checkQuota(settings.quota)
    }

    /// Checks a write-only provider API key: 8 to 512 printable characters without spaces, so its
    /// last four characters never reveal the whole key. Empty is allowed (none, or clear).
    static func checkSecret(_ key: String, field: String) throws {
        guard !key.isEmpty else { return }
        let count = key.unicodeScalars.count
        guard (8...512).contains(count) else {
            throw TenantFieldViolation.error(field, "must be 8 to 512 characters long")
        }
        guard key.unicodeScalars.allSatisfy({ $0 != " " && !TextCharacters.isControl($0) }) else {
            throw TenantFieldViolation.error(field, "must not contain spaces or control characters")
        }
    }

    private static func checkLlm(_ llm: Metachat_V1_LlmSettings) throws {
        let path = "settings.llm"
        if case .UNRECOGNIZED = llm.provider {
            throw TenantFieldViolation.error("\(path).provider", "is not a known LlmProvider")
        }
        try TenantTextRules.check(llm.model, field: "\(path).model", maximum: 200)
        if !llm.baseURL.isEmpty {
            try TenantTextRules.checkHTTPURL(llm.baseURL, field: "\(path).baseUrl", maximum: 2048)
        } else if llm.provider == .openaiCompatible {
            throw TenantFieldViolation.error("\(path).baseUrl", "is required for LLM_PROVIDER_OPENAI_COMPATIBLE")
        }
        if llm.hasTemperature {
            try self.checkRange(llm.temperature.value, 0...2, field: "\(path).temperature")
        }
        try self.checkRange(llm.maxTokens, 0...32768, field: "\(path).maxTokens")
        try TenantTextRules.check(llm.systemPrompt, field: "\(path).systemPrompt", maximum: 8000, singleLine: false)
        if llm.hasRequestTimeout {
            let timeout = llm.requestTimeout
            let valid =
                timeout.nanos >= 0 && timeout.nanos < 1_000_000_000
                && (timeout.seconds >= 1 && (timeout.seconds < 300 || (timeout.seconds == 300 && timeout.nanos == 0)))
            guard valid else {
                throw TenantFieldViolation.error("\(path).requestTimeout", "must be between 1s and 300s")
            }
        }
    }

    private static func checkRag(_ rag: Metachat_V1_RagSettings) throws {
        let path = "settings.rag"
        try self.checkRange(rag.topK, 0...50, field: "\(path).topK")
        try self.checkRange(rag.minScore, 0...1, field: "\(path).minScore")
        let language = rag.textSearchLanguage
        guard
            language.count <= 63,
            language.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else {
            throw TenantFieldViolation.error(
                "\(path).textSearchLanguage", "must be a PostgreSQL text search configuration like \"english\"")
        }
        let embedding = rag.embedding
        let embeddingPath = "\(path).embedding"
        if case .UNRECOGNIZED = embedding.provider {
            throw TenantFieldViolation.error("\(embeddingPath).provider", "is not a known EmbeddingProvider")
        }
        try TenantTextRules.check(embedding.model, field: "\(embeddingPath).model", maximum: 200)
        try self.checkRange(embedding.dimensions, 0...2000, field: "\(embeddingPath).dimensions")
        if !embedding.baseURL.isEmpty {
            try TenantTextRules.checkHTTPURL(embedding.baseURL, field: "\(embeddingPath).baseUrl", maximum: 2048)
        } else if embedding.provider == .openaiCompatible {
            throw TenantFieldViolation.error(
                "\(embeddingPath).baseUrl", "is required for EMBEDDING_PROVIDER_OPENAI_COMPATIBLE")
        }
    }

    private static func checkEscalation(_ escalation: Metachat_V1_EscalationSettings) throws {
        let path = "settings.escalation"
        guard escalation.keywords.count <= 100 else {
            throw TenantFieldViolation.error("\(path).keywords", "must have at most 100 entries")
        }
        for (index, keyword) in escalation.keywords.enumerated() {
            try TenantTextRules.check(keyword, field: "\(path).keywords[\(index)]", minimum: 1, maximum: 100)
        }
        try self.checkRange(escalation.confidenceThreshold, 0...1, field: "\(path).confidenceThreshold")
        try TenantTextRules.check(
            escalation.handoffMessage, field: "\(path).handoffMessage", maximum: 1000, singleLine: false)
        if case .UNRECOGNIZED = escalation.mode {
            throw TenantFieldViolation.error("\(path).mode", "is not a known EscalationMode")
        }
        guard escalation.highStakesKeywords.count <= 100 else {
            throw TenantFieldViolation.error("\(path).highStakesKeywords", "must have at most 100 entries")
        }
        for (index, keyword) in escalation.highStakesKeywords.enumerated() {
            try TenantTextRules.check(keyword, field: "\(path).highStakesKeywords[\(index)]", minimum: 1, maximum: 100)
        }
        try TenantTextRules.check(
            escalation.disclaimerText, field: "\(path).disclaimerText", maximum: 1000, singleLine: false)
        guard escalation.alwaysEscalateLevels.count <= 4 else {
            throw TenantFieldViolation.error("\(path).alwaysEscalateLevels", "must have at most 4 entries")
        }
        for (index, level) in escalation.alwaysEscalateLevels.enumerated() {
            switch level {
            case .unspecified, .UNRECOGNIZED:
                throw TenantFieldViolation.error("\(path).alwaysEscalateLevels[\(index)]", "must be a confidence level")
            default: continue
            }
        }
    }

    private static func checkQuota(_ quota: Metachat_V1_UsageQuotaSettings) throws {
        let path = "settings.quota"
        guard (0...1_000_000_000_000).contains(quota.monthlyTokenQuota) else {
            throw TenantFieldViolation.error("\(path).monthlyTokenQuota", "must be between 0 and 1000000000000")
        }
        guard (0...1_000_000_000).contains(quota.monthlyMessageQuota) else {
            throw TenantFieldViolation.error("\(path).monthlyMessageQuota", "must be between 0 and 1000000000")
        }
    }

    private static func checkRetention(_ retention: Metachat_V1_RetentionSettings) throws {
        let path = "settings.retention"
        try self.checkRange(retention.messageRetentionDays, 0...3650, field: "\(path).messageRetentionDays")
        try self.checkRange(retention.apiLogRetentionDays, 0...3650, field: "\(path).apiLogRetentionDays")
    }

    private static func checkWidget(_ widget: Metachat_V1_WidgetSettings) throws {
        let path = "settings.widget"
        try TenantTextRules.check(widget.title, field: "\(path).title", maximum: 100)
        try TenantTextRules.check(widget.greeting, field: "\(path).greeting", maximum: 1000, singleLine: false)
        let color = widget.primaryColor
        if !color.isEmpty {
            let digits = color.dropFirst()
            guard color.first == "#", digits.count == 6, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
                throw TenantFieldViolation.error("\(path).primaryColor", "must be a colour like #2563EB")
            }
        }
        guard widget.allowedOrigins.count <= 50 else {
            throw TenantFieldViolation.error("\(path).allowedOrigins", "must have at most 50 entries")
        }
        for (index, origin) in widget.allowedOrigins.enumerated() {
            try TenantTextRules.checkOrigin(origin, field: "\(path).allowedOrigins[\(index)]")
        }
    }

    private static func checkRateLimit(_ rateLimit: Metachat_V1_RateLimitSettings) throws {
        let path = "settings.rateLimit"
        try self.checkRange(rateLimit.requestsPerWindow, 0...1_000_000, field: "\(path).requestsPerWindow")
        try self.checkRange(rateLimit.windowSeconds, 0...3600, field: "\(path).windowSeconds")
    }

    private static func checkRange(_ value: Int32, _ range: ClosedRange<Int32>, field: String) throws {
        guard range.contains(value) else {
            throw TenantFieldViolation.error(field, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
    }

    private static func checkRange(_ value: Double, _ range: ClosedRange<Double>, field: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw TenantFieldViolation.error(
                field, "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))")
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
