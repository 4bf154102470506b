internal import FoundationEssentials
package import Logging
internal import ServiceLifecycle
package import Storage

/// Publishes every outbox event to RabbitMQ in every `serve` process that has `RABBITMQ_URL`:
/// claims the oldest unpublished events with `FOR UPDATE SKIP LOCKED`, publishes them (persistent,
/// routing key `<tenantId>.<eventType>`, message ID = event ID) and marks them published in the
/// same transaction once the broker confirmed them all. A failed batch records the attempt and its
/// error on each event and stays unpublished; the relay reconnects with backoff (0.5 s doubling to
/// 30 s) and publishes it again. A process dying mid-batch leaves it unmarked, so it is published
/// again with the same IDs (at-least-once).
package struct OutboxBusRelay: Service {
    let pool: PostgresPool
    let publisher: RabbitMQPublisher
    let health: EventBusHealth
    let listener: PostgresNotificationListener
    let batchSize: Int
    let pollInterval: Duration
    let logger: Logger

    /// Creates the relay.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated; its configuration also opens the LISTEN connection.
    ///   - publisher: Publishes to the broker.
    ///   - health: Told whether the broker takes events.
    ///   - batchSize: Events per transaction and confirm round (default 200).
    ///   - pollInterval: Longest wait between looks at the outbox (default 2 s).
    ///   - logger: Receives failures.
    package init(
        pool: PostgresPool, publisher: RabbitMQPublisher, health: EventBusHealth, batchSize: Int = 200,
        pollInterval: Duration = .seconds(2), logger: Logger
    ) {
        self.pool = pool
        self.publisher = publisher
        self.health = health
        self.listener = PostgresNotificationListener(configuration: pool.configuration, channel: OutboxWriter.channel)
        self.batchSize = max(1, batchSize)
        self.pollInterval = pollInterval
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
        self.listener.close()
        self.publisher.close()
    }

    private func loop() async {
        var backoff = Duration.milliseconds(500)
        _ = try? await self.listener.wait(timeout: .zero)
        while !Task.isCancelled {
            do {
                let published = try await self.publishBatch()
                backoff = .milliseconds(500)
                if published >= self.batchSize { continue }
                do {
                    _ = try await self.listener.wait(timeout: self.pollInterval)
                } catch {
                    try? await Task.sleep(for: self.pollInterval)
                }
            } catch {
                try? await Task.sleep(for: backoff)
                backoff = min(.seconds(30), backoff * 2)
            }
        }
    }

    /// Publishes the oldest unpublished events; how many.
    private func publishBatch() async throws -> Int {
        var claimed: [UUID] = []
        do {
            return try await self.pool.withAdminTransaction { connection in
                let rows = try await connection.query(
                    """
                    SELECT id, tenant_id, event_type, body, (extract(epoch FROM occurred_at))::int8 AS occurred
                    FROM outbox_events WHERE published_at IS NULL
                    ORDER BY position LIMIT \(Int64(self.batchSize)) FOR UPDATE SKIP LOCKED
                    """
                )
                guard !rows.isEmpty else { return 0 }
                var messages: [RabbitMQMessage] = []
                for row in rows {
                    let id: UUID = try row.decode("id")
                    let tenantID: UUID = try row.decode("tenant_id")
                    let type: String = try row.decode("event_type")
                    claimed.append(id)
                    messages.append(
                        RabbitMQMessage(
                            routingKey: "\(tenantID.lowercasedString).\(type)", messageID: id.lowercasedString,
                            type: type, body: Array(try row.decode("body", as: String.self).utf8),
                            timestamp: UInt64(max(0, try row.decode("occurred", as: Int64.self)))))
                }
                try await self.publisher.publish(messages)
                let ids = "{" + claimed.map(\.lowercasedString).joined(separator: ",") + "}"
                try await connection.execute(
                    """
                    UPDATE outbox_events SET published_at = now(), publish_attempts = publish_attempts + 1,
                        last_publish_error = ''
                    WHERE id = ANY (\(ids)::text::uuid[])
                    """
                )
                self.health.published()
                return rows.count
            }
        } catch let error as RabbitMQError {
            self.health.failed(error.description)
            self.logger.warning("could not publish events to RabbitMQ; they wait in the outbox: \(error.description)")
            await self.recordFailure(claimed, reason: error.description)
            throw error
        }
    }

    /// Records a failed publish attempt on each event of the batch.
    private func recordFailure(_ ids: [UUID], reason: String) async {
        guard !ids.isEmpty else { return }
        let list = "{" + ids.map(\.lowercasedString).joined(separator: ",") + "}"
        _ = try? await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE outbox_events SET publish_attempts = publish_attempts + 1, last_publish_error = \(reason)
                WHERE id = ANY (\(list)::text::uuid[]) AND published_at IS NULL
                """
            )
        }
    }
}
