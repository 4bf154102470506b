internal import FoundationEssentials
internal import Storage

/// A session's hold on its channel (`channels.gateway_session_id`, `gateway_session_until`): taken
/// at hello (a newer session takes it from an older one), renewed at every poll, let go at the end.
/// While a channel is held, the Graph API sender leaves its queued replies to the gateway.
struct ChannelGatewayHold: Sendable {
    let pool: PostgresPool
    let tenantID: UUID
    let channelID: UUID
    let sessionID: UUID
    /// How long a renewal holds.
    let length: Duration

    private var milliseconds: Int64 { Int64(self.length / .milliseconds(1)) }

    /// Takes the channel for this session, from any session that held it.
    func take() async throws {
        _ = try await self.pool.withTenantTransaction(tenantID: self.tenantID) { connection in
            try await connection.execute(
                """
                UPDATE channels SET gateway_session_id = \(self.sessionID),
                    gateway_session_until = now() + \(self.milliseconds) * interval '1 millisecond'
                WHERE tenant_id = \(self.tenantID) AND id = \(self.channelID)
                """)
        }
    }

    /// Renews the hold; `false` when another session took the channel (or it was deleted or
    /// disabled).
    func renew() async throws -> Bool {
        try await self.pool.withTenantTransaction(tenantID: self.tenantID) { connection in
            try await connection.execute(
                """
                UPDATE channels SET gateway_session_until = now() + \(self.milliseconds) * interval '1 millisecond'
                WHERE tenant_id = \(self.tenantID) AND id = \(self.channelID)
                  AND gateway_session_id = \(self.sessionID) AND enabled
                """) > 0
        }
    }

    /// Lets the channel go, if this session still holds it.
    func release() async {
        _ = try? await self.pool.withTenantTransaction(tenantID: self.tenantID) { connection in
            try await connection.execute(
                """
                UPDATE channels SET gateway_session_id = NULL, gateway_session_until = NULL
                WHERE tenant_id = \(self.tenantID) AND id = \(self.channelID) AND gateway_session_id = \(self.sessionID)
                """)
        }
    }
}
