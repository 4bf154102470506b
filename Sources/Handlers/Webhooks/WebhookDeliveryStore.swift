internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// The SQL of the delivery methods, on a connection inside a transaction scoped to the tenant.
struct WebhookDeliveryStore {
    /// The connection, inside the tenant's transaction.
    let connection: PostgresConnection
    /// The tenant.
    let tenantID: UUID

    /// Up to `limit` deliveries of an endpoint, newest first, after the cursor.
    func list(
        webhookID: UUID, statuses: String?, eventType: String?, after cursor: (micros: Int64, id: UUID)?, limit: Int
    ) async throws -> [WebhookDeliveryRow] {
        let micros = cursor?.micros ?? Int64.max
        let afterID = cursor?.id ?? WebhookEndpointStore.largestID
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: WebhookDeliveryRow.columns) FROM webhook_deliveries
            WHERE tenant_id = \(self.tenantID) AND webhook_id = \(webhookID)
              AND (\(statuses)::text[] IS NULL OR status = ANY (\(statuses)::text[]))
              AND (\(eventType)::text IS NULL OR event_type = \(eventType))
              AND (created_at, id) < (to_timestamp(\(micros)::float8 / 1000000), \(afterID))
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """
        )
        return try rows.map(WebhookDeliveryRow.init)
    }

    /// The delivery `id` of endpoint `webhookID`; `nil` when the tenant has none.
    func find(webhookID: UUID, id: UUID) async throws -> WebhookDeliveryRow? {
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: WebhookDeliveryRow.columns) FROM webhook_deliveries
            WHERE tenant_id = \(self.tenantID) AND webhook_id = \(webhookID) AND id = \(id)
            """
        )
        return try rows.first.map(WebhookDeliveryRow.init)
    }

    /// Every attempt of a delivery, oldest first.
    func attempts(of deliveryID: UUID) async throws -> [Metachat_V1_WebhookDeliveryAttempt] {
        let rows = try await self.connection.query(
            """
            SELECT attempt, started_at, finished_at, status_code, error, response_body
            FROM webhook_delivery_attempts WHERE tenant_id = \(self.tenantID) AND delivery_id = \(deliveryID)
            ORDER BY attempt
            """
        )
        return try rows.map { row in
            var attempt = Metachat_V1_WebhookDeliveryAttempt()
            attempt.attempt = try row.decode("attempt")
            attempt.startedAt = Google_Protobuf_Timestamp(date: try row.decode("started_at", as: Date.self))
            attempt.finishedAt = Google_Protobuf_Timestamp(date: try row.decode("finished_at", as: Date.self))
            attempt.statusCode = try row.decode("status_code")
            attempt.error = try row.decode("error")
            attempt.responseBody = try row.decode("response_body")
            return attempt
        }
    }

    /// Queues a new delivery of `original`'s event (same event ID and body), due now, and wakes
    /// the relays.
    func redeliver(_ original: WebhookDeliveryRow, maximumAttempts: Int) async throws -> WebhookDeliveryRow {
        let rows = try await self.connection.query(
            """
            INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, body, conversation_id,
                max_attempts, redelivery_of)
            VALUES (\(self.tenantID), \(original.webhookID), \(original.eventID), \(original.eventType), \
            \(original.body), \(original.conversationID), \(Int32(maximumAttempts)), \(original.id))
            RETURNING \(unescaped: WebhookDeliveryRow.columns)
            """
        )
        _ = try await self.connection.query("SELECT pg_notify('outbox', '')")
        return try WebhookDeliveryRow(rows[0])
    }

    /// Inserts a test delivery being sent now (one attempt, leased for `leaseSeconds`).
    func insertTest(webhookID: UUID, event: OutboxEvent, leaseSeconds: Double) async throws -> WebhookDeliveryRow {
        let rows = try await self.connection.query(
            """
            INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, event_type, body, status, attempts,
                max_attempts, lease_until)
            VALUES (\(self.tenantID), \(webhookID), \(event.id), \(event.type.wireName), \(event.body), 'SENDING', 1, 1,
                now() + \(leaseSeconds) * interval '1 second')
            RETURNING \(unescaped: WebhookDeliveryRow.columns)
            """
        )
        return try WebhookDeliveryRow(rows[0])
    }
}
