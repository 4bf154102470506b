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

    /// Claims up to `limit` due callbacks, oldest first: each gets an attempt and a lease.
    func claim(limit: Int) async throws -> [Claim] {
        let leaseMilliseconds = Int64(self.configuration.lease / .milliseconds(1))
        return try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                UPDATE channel_inbound SET attempts = attempts + 1,
                    next_attempt_at = now() + \(leaseMilliseconds) * interval '1 millisecond'
                WHERE id IN (
                    SELECT id FROM channel_inbound WHERE status = 'PENDING' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at, id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED)
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
