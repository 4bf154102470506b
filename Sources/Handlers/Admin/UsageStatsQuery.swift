internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage

/// Reads the counters of GetUsageStats in one admin-scoped transaction: per tenant, the messages,
/// conversations and documents created in the range, the API calls logged in it (`api_logs`),
/// messages per UTC day, and the assistant's
/// usage (`chat_usage_daily`) per provider, model and UTC day for the days the range touches.
struct UsageStatsQuery: Sendable {
    let pool: PostgresPool
    let range: UsageRange
    /// Only this tenant, when given.
    let tenantID: UUID?
    /// A STANDARD admin sees only its granted tenants.
    let standardAdminID: UUID?

    func run() async throws -> Metachat_V1_GetUsageStatsResponse {
        do {
            return try await self.pool.withAdminTransaction { connection in
                try await self.read(connection)
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    private func read(_ connection: PostgresConnection) async throws -> Metachat_V1_GetUsageStatsResponse {
        let start = self.range.start
        let end = self.range.end
        let only = self.tenantID
        let admin = self.standardAdminID
        // The tenants the caller may see, restricted to the one asked for.
        let tenants = try await connection.query(
            """
            SELECT t.id, t.name FROM tenants t
            WHERE (\(only)::uuid IS NULL OR t.id = \(only))
              AND (\(admin)::uuid IS NULL
                   OR EXISTS (SELECT 1 FROM admin_tenant_grants g WHERE g.admin_id = \(admin) AND g.tenant_id = t.id))
            ORDER BY t.name, t.id
            """)
        if let only, tenants.isEmpty {
            throw RPCError(code: .notFound, message: "Tenant \(only.lowercasedString) was not found.")
        }
        let days = try await connection.query(
            """
            SELECT (d AT TIME ZONE 'UTC')::date::text AS day
            FROM generate_series(date_trunc('day', \(start) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
                                 \(end) - interval '1 microsecond', interval '1 day') AS d
            """
        ).map { try $0.decode("day", as: String.self) }
        var byTenant: [UUID: Metachat_V1_TenantUsage] = [:]
        var order: [UUID] = []
        for row in tenants {
            let id = try row.decode("id", as: UUID.self)
            var usage = Metachat_V1_TenantUsage()
            usage.tenantID = id.lowercasedString
            usage.tenantName = try row.decode("name", as: String.self)
            usage.dailyMessageCounts = Array(repeating: 0, count: days.count)
            byTenant[id] = usage
            order.append(id)
        }
        let dayIndex = Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })

        for (table, keyPath) in [
            ("conversations", \Metachat_V1_TenantUsage.conversationCount),
            ("documents", \Metachat_V1_TenantUsage.documentCount),
        ] {
            // The table name is one of the two constants above, never input.
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT tenant_id, count(*)::int8 AS n FROM \(table)
                        WHERE created_at >= $1 AND created_at < $2 GROUP BY tenant_id
                        """,
                    binds: [.timestamp(start), .timestamp(end)]))
            for row in rows {
                let id = try row.decode("tenant_id", as: UUID.self)
                byTenant[id]?[keyPath: keyPath] = try row.decode("n", as: Int64.self)
            }
        }
        let calls = try await connection.query(
            """
            SELECT tenant_id, count(*)::int8 AS n FROM api_logs
            WHERE tenant_id IS NOT NULL AND occurred_at >= \(start) AND occurred_at < \(end) GROUP BY tenant_id
            """)
        for row in calls {
            let id = try row.decode("tenant_id", as: UUID.self)
            byTenant[id]?.apiRequestCount = try row.decode("n", as: Int64.self)
        }
        let messages = try await connection.query(
            """
            SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date::text AS day, count(*)::int8 AS n FROM messages
            WHERE created_at >= \(start) AND created_at < \(end) GROUP BY 1, 2
            """)
        for row in messages {
            let id = try row.decode("tenant_id", as: UUID.self)
            let count = try row.decode("n", as: Int64.self)
            byTenant[id]?.messageCount += count
            if let index = dayIndex[try row.decode("day", as: String.self)] {
                byTenant[id]?.dailyMessageCounts[index] += count
            }
        }
        let usage = try await connection.query(
            """
            SELECT tenant_id, provider, model, day::text AS day, answers, prompt_tokens, completion_tokens,
                cost_nano_usd, unpriced_answers
            FROM chat_usage_daily
            WHERE day >= (\(start) AT TIME ZONE 'UTC')::date AND day <= ((\(end) - interval '1 microsecond') AT TIME ZONE 'UTC')::date
            ORDER BY tenant_id, provider, model, day
            """)
        var models: [UUID: [String: Metachat_V1_ModelUsage]] = [:]
        for row in usage {
            let id = try row.decode("tenant_id", as: UUID.self)
            guard byTenant[id] != nil else { continue }
            let provider = try row.decode("provider", as: String.self)
            let model = try row.decode("model", as: String.self)
            let answers = try row.decode("answers", as: Int64.self)
            let prompt = try row.decode("prompt_tokens", as: Int64.self)
            let completion = try row.decode("completion_tokens", as: Int64.self)
            let cost = try row.decode("cost_nano_usd", as: Int64.self)
            let unpriced = try row.decode("unpriced_answers", as: Int64.self)
            byTenant[id]?.assistantAnswers += answers
            let tenantCost = byTenant[id]?.costNanoUsd ?? 0
            byTenant[id]?.costNanoUsd = Self.saturatingSum(tenantCost, cost)
            byTenant[id]?.unpricedAnswers += unpriced
            byTenant[id]?.promptTokens += prompt
            byTenant[id]?.completionTokens += completion
            let key = provider + "\u{0}" + model
            var entry =
                models[id]?[key]
                ?? {
                    var fresh = Metachat_V1_ModelUsage()
                    fresh.provider = provider
                    fresh.model = model
                    fresh.dailyTotalTokens = Array(repeating: 0, count: days.count)
                    return fresh
                }()
            entry.answers += answers
            entry.promptTokens += prompt
            entry.completionTokens += completion
            entry.totalTokens += prompt + completion
            entry.costNanoUsd = Self.saturatingSum(entry.costNanoUsd, cost)
            entry.unpricedAnswers += unpriced
            if let index = dayIndex[try row.decode("day", as: String.self)] {
                entry.dailyTotalTokens[index] += prompt + completion
            }
            models[id, default: [:]][key] = entry
        }

        var response = Metachat_V1_GetUsageStatsResponse()
        var totals = Metachat_V1_TenantUsage()
        totals.dailyMessageCounts = Array(repeating: 0, count: days.count)
        for id in order {
            guard var tenant = byTenant[id] else { continue }
            tenant.totalTokens = tenant.promptTokens + tenant.completionTokens
            tenant.models = (models[id].map { Array($0.values) } ?? []).sorted {
                ($0.totalTokens, $1.model) > ($1.totalTokens, $0.model)
            }
            let active =
                tenant.messageCount + tenant.conversationCount + tenant.documentCount + tenant.assistantAnswers
                + tenant.apiRequestCount > 0
            // Without a tenant filter only tenants with activity in the range are listed.
            guard only != nil || active else { continue }
            totals.messageCount += tenant.messageCount
            totals.conversationCount += tenant.conversationCount
            totals.documentCount += tenant.documentCount
            totals.promptTokens += tenant.promptTokens
            totals.completionTokens += tenant.completionTokens
            totals.totalTokens += tenant.totalTokens
            totals.assistantAnswers += tenant.assistantAnswers
            totals.apiRequestCount += tenant.apiRequestCount
            totals.costNanoUsd = Self.saturatingSum(totals.costNanoUsd, tenant.costNanoUsd)
            totals.unpricedAnswers += tenant.unpricedAnswers
            for (index, count) in tenant.dailyMessageCounts.enumerated() {
                totals.dailyMessageCounts[index] += count
            }
            response.tenants.append(tenant)
        }
        response.totals = totals
        return response
    }

    /// `a + b`, at most `Int64.max` (costs are bounded per row, not in sum).
    private static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int64.max : sum
    }
}
