internal import FoundationEssentials
internal import Storage

/// The SQL of the stored callbacks (`channel_inbound`): claims with a lease, and outcomes.
/// Runs in the admin scope (callbacks of every tenant).
struct ChannelInboundQueue: Sendable {
    /// A claimed callback.
    struct Claim: Sendable {
        var id: Int64
        var tenantID: UUID
        var channelID: UUID
        var body: [UInt8]
        var attempts: Int
        var receivedAt: Date
    }

    let pool: PostgresPool
    let configuration: ChannelWorkerConfiguration

    /// Claims up to `limit` due callbacks, each tenant's oldest first and at most
    /// ``ChannelWorkerConfiguration/concurrencyPerTenant`` minus what it already has in flight
    /// (`held`); each gets an attempt and a lease.
    ///
    /// Tenants are taken one by one from a random point, wrapping around (a skip scan of
    /// `channel_inbound_tenant_due_idx`, one probe per tenant with callbacks waiting), so a burst of
    /// one tenant's callbacks never queues another tenant's behind it.
    func claim(limit: Int, held: [UUID: Int] = [:], start: UUID = UUID()) async throws -> [Claim] {
        guard limit > 0 else { return [] }
        let perTenant = self.configuration.concurrencyPerTenant
        let full = held.filter { $0.value >= perTenant }.keys
        let fullLiteral = "{" + full.map(\.lowercasedString).joined(separator: ",") + "}"
        let partly = held.filter { $0.value > 0 && $0.value < perTenant }
        let partlyLiteral = "{" + partly.keys.map(\.lowercasedString).joined(separator: ",") + "}"
        let roomLiteral = "{" + partly.values.map { String(perTenant - $0) }.joined(separator: ",") + "}"
        let leaseMilliseconds = Int64(self.configuration.lease / .milliseconds(1))
        return try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                WITH RECURSIVE upward AS (
                    SELECT (SELECT tenant_id FROM channel_inbound WHERE status = 'PENDING' AND tenant_id >= \(start)
                            ORDER BY tenant_id LIMIT 1) AS tenant_id
                  UNION ALL
                    SELECT (SELECT c.tenant_id FROM channel_inbound c
                            WHERE c.status = 'PENDING' AND c.tenant_id > u.tenant_id ORDER BY c.tenant_id LIMIT 1)
                    FROM upward u WHERE u.tenant_id IS NOT NULL
                ), wrapped AS (
                    SELECT (SELECT tenant_id FROM channel_inbound WHERE status = 'PENDING' AND tenant_id < \(start)
                            ORDER BY tenant_id LIMIT 1) AS tenant_id
                  UNION ALL
                    SELECT (SELECT c.tenant_id FROM channel_inbound c
                            WHERE c.status = 'PENDING' AND c.tenant_id > w.tenant_id AND c.tenant_id < \(start)
                            ORDER BY c.tenant_id LIMIT 1)
                    FROM wrapped w WHERE w.tenant_id IS NOT NULL
                ), tenants AS (
                    SELECT tenant_id FROM upward WHERE tenant_id IS NOT NULL
                    UNION ALL
                    SELECT tenant_id FROM wrapped WHERE tenant_id IS NOT NULL
                ), due AS (
                    SELECT d.id FROM tenants t
                    LEFT JOIN unnest(\(partlyLiteral)::text::uuid[], \(roomLiteral)::text::int4[]) AS h(tenant_id, room)
                        ON h.tenant_id = t.tenant_id
                    CROSS JOIN LATERAL (
                        SELECT c.id FROM channel_inbound c
                        WHERE c.tenant_id = t.tenant_id AND c.status = 'PENDING' AND c.next_attempt_at <= now()
                        ORDER BY c.next_attempt_at, c.id LIMIT coalesce(h.room, \(Int32(perTenant)))
                        FOR UPDATE SKIP LOCKED) d
                    WHERE NOT (t.tenant_id = ANY (\(fullLiteral)::text::uuid[]))
                    LIMIT \(Int64(limit)))
                UPDATE channel_inbound SET attempts = attempts + 1,
                    next_attempt_at = now() + \(leaseMilliseconds) * interval '1 millisecond'
                WHERE id IN (SELECT id FROM due)
                RETURNING id, tenant_id, channel_id, body, attempts, received_at
                """
            ).map {
                Claim(
                    id: try $0.decode("id"), tenantID: try $0.decode("tenant_id"),
                    channelID: try $0.decode("channel_id"),
                    body: try $0.decode("body"), attempts: try $0.decode("attempts"),
                    receivedAt: try $0.decode("received_at"))
            }.sorted { $0.id < $1.id }
        }
    }

    /// Marks a callback processed.
    func done(_ id: Int64) async throws {
        _ = try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                "UPDATE channel_inbound SET status = 'DONE', processed_at = now(), last_error = '' WHERE id = \(id)")
        }
    }

    /// Records a failure: tried again after a delay, or given up (`FAILED`) after the last attempt
    /// or when `final`.
    func failed(_ claim: Claim, error: String, final: Bool) async throws {
        let giveUp = final || claim.attempts >= self.configuration.maximumAttempts
        let delay = Int64(self.configuration.retryDelay(afterAttempts: claim.attempts) / .milliseconds(1))
        _ = try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE channel_inbound SET last_error = left(\(error), 1000),
                    status = CASE WHEN \(giveUp) THEN 'FAILED' ELSE 'PENDING' END,
                    processed_at = CASE WHEN \(giveUp) THEN now() END,
                    next_attempt_at = now() + greatest(\(delay), 100) * interval '1 millisecond'
                WHERE id = \(claim.id)
                """)
        }
    }
}
