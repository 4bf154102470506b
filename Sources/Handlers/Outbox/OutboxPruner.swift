package import FoundationEssentials
package import Logging
internal import ServiceLifecycle
package import Storage

/// Keeps the outbox bounded: deletes outbox events that every consumer has handled (fanned out,
/// and published or older than ``outboxRetention``) once they are an hour old, in batches.
/// Prunes at start and then every hour until graceful shutdown. (The webhook delivery log is the
/// retention run's: `RetentionRunner`, docs/retention.md.)
///
/// Without `RABBITMQ_URL` events are never published, so they stay ``outboxRetention`` (7 days):
/// a bus configured later receives at most that backlog.
package struct OutboxPruner: Service {
    /// Rows deleted per statement.
    static let batchSize = 5000

    let pool: PostgresPool
    /// How long an unpublished (but fanned out) event is kept. Default 7 days.
    let outboxRetention: Duration
    let interval: Duration
    let logger: Logger

    /// Creates the pruner.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - outboxRetention: How long an unpublished event is kept.
    ///   - interval: Time between runs (default 1 hour).
    ///   - logger: Receives what was pruned and failures.
    package init(
        pool: PostgresPool, outboxRetention: Duration = .seconds(7 * 86_400), interval: Duration = .seconds(3600),
        logger: Logger
    ) {
        self.pool = pool
        self.outboxRetention = outboxRetention
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let events = try await self.prune(now: Date())
                    if events > 0 {
                        self.logger.info("pruned the outbox", metadata: ["events": "\(events)"])
                    }
                } catch {
                    self.logger.warning("pruning the outbox failed; trying again in an hour")
                }
                guard (try? await Task.sleep(for: self.interval)) != nil else { return }
            }
        }
    }

    /// Deletes what is due at `now`.
    ///
    /// - Returns: How many outbox events were deleted.
    @discardableResult
    package func prune(now: Date) async throws -> Int {
        let handledBefore = now - 3600
        let unpublishedBefore = now - TimeInterval(self.outboxRetention.components.seconds)
        var events = 0
        while true {
            let deleted = try await self.pool.withAdminTransaction { connection in
                try await connection.execute(
                    """
                    DELETE FROM outbox_events WHERE id IN (
                        SELECT id FROM outbox_events
                        WHERE fanned_out_at IS NOT NULL AND occurred_at < \(handledBefore)
                          AND (published_at IS NOT NULL OR occurred_at < \(unpublishedBefore))
                        LIMIT \(Int64(Self.batchSize)))
                    """
                )
            }
            events += deleted
            if deleted < Self.batchSize { break }
        }
        return events
    }
}
