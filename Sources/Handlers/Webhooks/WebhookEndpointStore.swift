internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// The SQL of the endpoint methods, on a connection inside a transaction scoped to the tenant.
struct WebhookEndpointStore {
    /// The connection, inside the tenant's transaction.
    let connection: PostgresConnection
    /// The tenant.
    let tenantID: UUID

    /// The `text[]` literal of event types (wire names are constant identifiers without quotes).
    static func typesLiteral(_ types: [Metachat_V1_WebhookEventType]) -> String {
        "{" + types.map { "\"\($0.wireName)\"" }.joined(separator: ",") + "}"
    }

    /// Sorts after every real ID (the first page's cursor).
    static let largestID = UUID(
        uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))

    /// Inserts an endpoint.
    func insert(
        id: UUID, url: String, eventTypes: [Metachat_V1_WebhookEventType], description: String, enabled: Bool,
        sealedSecret: String, lastFour: String
    ) async throws -> WebhookEndpointRow {
        let rows = try await self.connection.query(
            """
            INSERT INTO webhook_endpoints (tenant_id, id, url, event_types, description, enabled, signing_secret,
                signing_secret_last_four)
            VALUES (\(self.tenantID), \(id), \(url), \(Self.typesLiteral(eventTypes))::text[], \(description), \
            \(enabled), \(sealedSecret), \(lastFour))
            RETURNING \(unescaped: WebhookEndpointRow.columns)
            """
        )
        return try WebhookEndpointRow(rows[0])
    }

    /// The endpoint with `id`, locked for the transaction when `forUpdate`; `nil` when the tenant
    /// has none.
    func find(_ id: UUID, forUpdate: Bool = false) async throws -> WebhookEndpointRow? {
        let lock: StaticString = forUpdate ? "FOR UPDATE" : ""
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: WebhookEndpointRow.columns) FROM webhook_endpoints
            WHERE tenant_id = \(self.tenantID) AND id = \(id) \(unescaped: lock)
            """
        )
        return try rows.first.map(WebhookEndpointRow.init)
    }

    /// Up to `limit` endpoints, newest first, after the cursor.
    func list(after cursor: (micros: Int64, id: UUID)?, limit: Int) async throws -> [WebhookEndpointRow] {
        let micros = cursor?.micros ?? Int64.max
        let afterID = cursor?.id ?? Self.largestID
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: WebhookEndpointRow.columns) FROM webhook_endpoints
            WHERE tenant_id = \(self.tenantID)
              AND (created_at, id) < (to_timestamp(\(micros)::float8 / 1000000), \(afterID))
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """
        )
        return try rows.map(WebhookEndpointRow.init)
    }

    /// Writes the mutable fields (`nil`: unchanged). Enabling clears the reason the server
    /// disabled it and the failure count; disabling by hand leaves no reason.
    func update(
        _ id: UUID, url: String?, eventTypes: [Metachat_V1_WebhookEventType]?, description: String?, enabled: Bool?
    ) async throws -> WebhookEndpointRow? {
        let rows = try await self.connection.query(
            """
            UPDATE webhook_endpoints SET
                url = coalesce(\(url)::text, url),
                event_types = coalesce(\(eventTypes.map(Self.typesLiteral))::text[], event_types),
                description = coalesce(\(description)::text, description),
                disabled_reason = CASE WHEN \(enabled)::bool IS NULL OR \(enabled)::bool = enabled
                    THEN disabled_reason ELSE '' END,
                consecutive_failures = CASE WHEN \(enabled)::bool AND NOT enabled THEN 0 ELSE consecutive_failures END,
                enabled = coalesce(\(enabled)::bool, enabled),
                updated_at = now()
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: WebhookEndpointRow.columns)
            """
        )
        return try rows.first.map(WebhookEndpointRow.init)
    }

    /// Deletes an endpoint with its deliveries; `false` when the tenant has none with `id`.
    func delete(_ id: UUID) async throws -> Bool {
        try await self.connection.execute(
            "DELETE FROM webhook_endpoints WHERE tenant_id = \(self.tenantID) AND id = \(id)") > 0
    }

    /// Replaces the secret; the old one keeps signing for `graceSeconds` when positive.
    func rotate(
        _ id: UUID, sealedSecret: String, lastFour: String, sealedPrevious: String?, graceSeconds: Double
    ) async throws -> WebhookEndpointRow? {
        let rows = try await self.connection.query(
            """
            UPDATE webhook_endpoints SET signing_secret = \(sealedSecret), signing_secret_last_four = \(lastFour),
                previous_signing_secret = \(sealedPrevious),
                previous_secret_expires_at = CASE WHEN \(graceSeconds) > 0
                    THEN now() + \(graceSeconds) * interval '1 second' END,
                secret_rotated_at = now(), updated_at = now()
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: WebhookEndpointRow.columns)
            """
        )
        return try rows.first.map(WebhookEndpointRow.init)
    }
}
