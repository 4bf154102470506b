internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage

/// What the assistant used (`chat_usage_daily`): one row per tenant, provider, model and UTC
/// day, and the monthly quotas checked against them (`settings.quota`).
struct ChatUsageLedger: Sendable {
    let pool: PostgresPool

    /// One answer's usage, as the orchestrator records it in the transaction that stores the answer.
    struct Answer: Sendable {
        /// The provider's stored name.
        var provider: String
        /// The model as the provider reported it.
        var model: String
        /// Prompt tokens.
        var promptTokens: Int
        /// Completion tokens.
        var completionTokens: Int
        /// What it cost (``ModelPriceTable``); `nil` when the model is not priced.
        var costNanoUSD: Int64?
    }

    /// Adds one answer's usage on `connection`, inside the caller's tenant transaction.
    static func record(_ answer: Answer, tenantID: UUID, on connection: PostgresConnection) async throws {
        let prompt = Int64(max(0, answer.promptTokens))
        let completion = Int64(max(0, answer.completionTokens))
        let modelName = String(answer.model.prefix(200))
        let cost = max(0, answer.costNanoUSD ?? 0)
        let unpriced: Int64 = answer.costNanoUSD == nil ? 1 : 0
        _ = try await connection.query(
            """
            INSERT INTO chat_usage_daily AS u (tenant_id, day, provider, model, answers, prompt_tokens,
                completion_tokens, cost_nano_usd, unpriced_answers)
            VALUES (\(tenantID), (now() AT TIME ZONE 'UTC')::date, \(answer.provider), \(modelName), 1, \(prompt),
                \(completion), \(cost), \(unpriced))
            ON CONFLICT (tenant_id, day, provider, model) DO UPDATE SET
                answers = u.answers + 1, prompt_tokens = u.prompt_tokens + excluded.prompt_tokens,
                completion_tokens = u.completion_tokens + excluded.completion_tokens,
                cost_nano_usd = least(u.cost_nano_usd::numeric + excluded.cost_nano_usd, 9223372036854775807)::int8,
                unpriced_answers = u.unpriced_answers + excluded.unpriced_answers
            """)
    }

    /// Refuses a model call when a monthly quota of `quota` is used up.
    ///
    /// - Throws: `RESOURCE_EXHAUSTED` naming the quota.
    func checkQuota(tenantID: UUID, quota: Metachat_V1_UsageQuotaSettings) async throws {
        guard quota.monthlyTokenQuota > 0 || quota.monthlyMessageQuota > 0 else { return }
        let used: (answers: Int64, tokens: Int64)
        do {
            used = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                let rows = try await connection.query(
                    """
                    SELECT coalesce(sum(answers), 0)::int8 AS answers,
                        coalesce(sum(prompt_tokens + completion_tokens), 0)::int8 AS tokens
                    FROM chat_usage_daily
                    WHERE tenant_id = \(tenantID)
                      AND day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date
                    """)
                return (try rows[0].decode("answers", as: Int64.self), try rows[0].decode("tokens", as: Int64.self))
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
        if quota.monthlyMessageQuota > 0, used.answers >= quota.monthlyMessageQuota {
            throw RPCError(
                code: .resourceExhausted,
                message:
                    "The monthly message quota (settings.quota.monthlyMessageQuota = \(quota.monthlyMessageQuota)) is used up: \(used.answers) answers this month."
            )
        }
        if quota.monthlyTokenQuota > 0, used.tokens >= quota.monthlyTokenQuota {
            throw RPCError(
                code: .resourceExhausted,
                message:
                    "The monthly token quota (settings.quota.monthlyTokenQuota = \(quota.monthlyTokenQuota)) is used up: \(used.tokens) tokens this month."
            )
        }
    }
}
