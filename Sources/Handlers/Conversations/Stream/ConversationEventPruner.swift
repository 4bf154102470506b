package import FoundationEssentials
package import Logging
internal import RPCServer
package import Storage

/// Deletes conversation events older than the stream's retention window, in batches, and records
/// per tenant up to which id events are gone (`conversation_event_counters.pruned_through`), so a
/// watcher resuming from before it is told to resync instead of silently missing events.
///
/// As a `Service` it prunes at start and then every ``ConversationStreamConfiguration/pruneInterval``
/// until graceful shutdown.
package struct ConversationEventPruner: Sendable {
    /// Events deleted per statement.
    static let batchSize = 5000

    private let pool: PostgresPool
    private let retention: Duration
    private let interval: Duration
    private let logger: Logger

    /// Creates the pruner.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL.
    ///   - configuration: The retention window and the interval.
    ///   - logger: Receives what was pruned and failures.
    package init(pool: PostgresPool, configuration: ConversationStreamConfiguration, logger: Logger) {
        self.pool = pool
        self.retention = configuration.retention
        self.interval = configuration.pruneInterval
        self.logger = logger
    }

    /// Deletes every event that occurred before `cutoff`.
    ///
    /// - Returns: How many events were deleted.
    @discardableResult
    package func prune(before cutoff: Date) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await self.pool.withAdminTransaction { connection in
                let rows = try await connection.query(
                    """
                    DELETE FROM conversation_events WHERE (tenant_id, id) IN (
                        SELECT tenant_id, id FROM conversation_events WHERE occurred_at < \(cutoff)
                        ORDER BY occurred_at LIMIT \(Self.batchSize))
                    RETURNING tenant_id, id
                    """
                )
                var newest: [UUID: Int64] = [:]
                for row in rows {
                    let tenant = try row.decode("tenant_id", as: UUID.self)
                    newest[tenant] = max(newest[tenant] ?? 0, try row.decode("id", as: Int64.self))
                }
                for (tenant, id) in newest {
                    try await connection.execute(
                        """
                        UPDATE conversation_event_counters SET pruned_through = greatest(pruned_through, \(id))
                        WHERE tenant_id = \(tenant)
                        """
                    )
                }
                return rows.count
            }
            total += deleted
            if deleted < Self.batchSize { return total }
        }
    }

    /// Prunes now and then every interval until cancelled.
    func runLoop() async {
        while !Task.isCancelled {
            do {
                let deleted = try await self.prune(before: Date() - TimeInterval(self.retention.components.seconds))
                if deleted > 0 {
                    self.logger.info("pruned conversation events", metadata: ["events": "\(deleted)"])
                }
            } catch is CancellationError {
                return
            } catch {
                self.logger.warning("pruning conversation events failed")
            }
            guard (try? await Task.sleep(for: self.interval)) != nil else { return }
        }
    }
}
