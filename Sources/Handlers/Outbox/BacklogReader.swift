package import Monitoring
package import Storage

/// Reads what waits in PostgreSQL for ``BacklogMetrics`` at each scrape, in one admin-scope
/// statement: each count walks a partial index and stops at ``countLimit``, and the oldest
/// outbox event is the first of its index, so a scrape stays cheap however large a backlog grows.
package struct BacklogReader: Sendable {
    /// The most any count reports (a backlog this large is alarming whatever its exact size).
    package static let countLimit = 100_000

    let pool: PostgresPool

    /// Creates the reader.
    ///
    /// - Parameter pool: PostgreSQL, migrated.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// One reading.
    ///
    /// - Throws: When PostgreSQL fails the statement.
    package func read() async throws -> BacklogMetrics.Reading {
        let limit = Int64(Self.countLimit)
        return try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT
                  (SELECT count(*) FROM (SELECT 1 FROM outbox_events WHERE fanned_out_at IS NULL
                      LIMIT \(limit)) e) AS outbox_events,
                  coalesce((SELECT extract(epoch FROM now() - occurred_at)::float8 FROM outbox_events
                      WHERE fanned_out_at IS NULL ORDER BY position LIMIT 1), 0) AS outbox_age,
                  (SELECT count(*) FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'PENDING'
                      LIMIT \(limit)) d) AS deliveries,
                  (SELECT count(*) FROM (SELECT 1 FROM ingest_jobs WHERE status IN ('PENDING', 'RUNNING')
                      LIMIT \(limit)) j) AS ingest_jobs
                """
            )
            let row = rows[0]
            return BacklogMetrics.Reading(
                outboxEvents: try row.decode("outbox_events"),
                outboxOldestAgeSeconds: max(0, try row.decode("outbox_age", as: Double.self)),
                webhookDeliveriesPending: try row.decode("deliveries"),
                ingestionJobsQueued: try row.decode("ingest_jobs"))
        }
    }
}
