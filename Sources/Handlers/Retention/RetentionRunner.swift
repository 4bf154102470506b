package import FoundationEssentials
package import Logging
internal import MetaChatAPI
package import Monitoring
package import Storage

/// Runs retention: for every tenant (or one), deletes the messages and API logs older than the
/// tenant's retention (copying them into `messages_archive` / `api_logs_archive` first when the
/// tenant asks), then conversation events past the stream's window and audit rows past their
/// days, in batches of short transactions.
///
/// One run at a time across every node: a run holds a PostgreSQL advisory lock on a connection of
/// its own from before it is recorded until it has finished. A run writes its progress to
/// `retention_runs` after every tenant and table, so `GetRetentionRun` shows it moving.
package struct RetentionRunner: Sendable {
    /// The advisory lock key every run takes (`pg_try_advisory_lock`).
    package static let lockKey: Int64 = 0x6D63_7274_6E74_6E01

    /// What to run.
    package struct Request: Sendable {
        /// What started it.
        package var trigger: RetentionRunRecord.Trigger
        /// Who asked (an admin key id), or empty.
        package var requestedBy = ""
        /// Only count.
        package var dryRun = false
        /// Only this tenant.
        package var tenantID: UUID?
        /// The schedule's slot, for scheduled runs (one run per slot).
        package var scheduledFor: Date?

        /// A request.
        package init(
            trigger: RetentionRunRecord.Trigger, requestedBy: String = "", dryRun: Bool = false,
            tenantID: UUID? = nil, scheduledFor: Date? = nil
        ) {
            self.trigger = trigger
            self.requestedBy = requestedBy
            self.dryRun = dryRun
            self.tenantID = tenantID
            self.scheduledFor = scheduledFor
        }
    }

    /// Why a run did not start.
    package enum Refusal: Error, Sendable, Equatable {
        /// Another run holds the lock (its id, when it could be read).
        case busy(runningRunID: UUID?)
        /// A scheduled slot was already run by another node.
        case slotTaken
    }

    let pool: PostgresPool
    let defaults: RetentionDefaults
    /// Prunes conversation events as the stream does.
    let events: ConversationEventPruner
    private let metrics: RetentionMetrics
    private let logger: Logger

    /// A runner.
    ///
    /// - Parameters:
    ///   - pool: The database.
    ///   - defaults: Retention where tenants do not set it, and the batch size.
    ///   - events: The stream's event pruning.
    ///   - metrics: Counts each finished run and the rows it deleted.
    ///   - logger: Receives each run's outcome.
    package init(
        pool: PostgresPool, defaults: RetentionDefaults, events: ConversationEventPruner,
        metrics: RetentionMetrics = PlatformMetrics.unobserved().retention, logger: Logger
    ) {
        self.pool = pool
        self.defaults = defaults
        self.events = events
        self.metrics = metrics
        self.logger = logger
    }

    /// Runs retention.
    ///
    /// - Parameters:
    ///   - request: What to run.
    ///   - started: Called once the run holds the lock and is recorded, with its record, before any
    ///     row is touched (the API answers with it and lets the run go on).
    /// - Returns: The finished run (state SUCCEEDED, or FAILED with the error when a statement failed
    ///   or the task was cancelled).
    /// - Throws: ``Refusal`` when the run could not start; database errors before it was recorded.
    @discardableResult
    package func run(
        _ request: Request, started: @Sendable (RetentionRunRecord) -> Void = { _ in }
    ) async throws -> RetentionRunRecord {
        let store = RetentionRunStore(pool: self.pool)
        let outcome: Result<RetentionRunRecord, any Error> = try await self.pool.withConnection { lock in
            let locked = try await lock.query("SELECT pg_try_advisory_lock($1) AS locked", [.int64(Self.lockKey)])
            guard try locked.first?.decode("locked", as: Bool.self) == true else {
                return .failure(Refusal.busy(runningRunID: try? await store.running()?.id))
            }
            let result: Result<RetentionRunRecord, any Error>
            do {
                guard
                    let record = try await store.start(
                        trigger: request.trigger, requestedBy: request.requestedBy, dryRun: request.dryRun,
                        tenantID: request.tenantID, scheduledFor: request.scheduledFor)
                else { throw Refusal.slotTaken }
                started(record)
                result = .success(try await self.work(record, request: request, store: store))
            } catch {
                result = .failure(error)
            }
            _ = try? await lock.query("SELECT pg_advisory_unlock($1)", [.int64(Self.lockKey)])
            return result
        }
        return try outcome.get()
    }

    private func work(
        _ record: RetentionRunRecord, request: Request, store: RetentionRunStore
    ) async throws -> RetentionRunRecord {
        var totals = RetentionTableResult.tables.map { RetentionTableResult(table: $0) }
        var tenantsProcessed = 0
        var failure: String?
        do {
            let now = Date()
            let tenants = try await self.tenants(only: request.tenantID)
            for tenant in tenants {
                try Task.checkCancellation()
                let messageCutoff = now - Self.days(tenant.messageDays ?? self.defaults.messageDays)
                let apiLogCutoff = now - Self.days(tenant.apiLogDays ?? self.defaults.apiLogDays)
                totals[0].add(
                    try await self.expire(
                        .messages, tenantID: tenant.id, before: messageCutoff, archive: tenant.archive,
                        dryRun: request.dryRun))
                totals[1].add(
                    try await self.expire(
                        .apiLogs, tenantID: tenant.id, before: apiLogCutoff, archive: tenant.archive,
                        dryRun: request.dryRun))
                totals[3].add(
                    try await self.expire(
                        .auditLog, tenantID: tenant.id, before: now - Self.days(self.defaults.auditLogDays),
                        archive: false, dryRun: request.dryRun))
                totals[4].add(
                    try await self.expire(
                        .webhookDeliveries, tenantID: tenant.id,
                        before: now - Self.days(self.defaults.webhookDeliveryDays), archive: false,
                        dryRun: request.dryRun))
                totals[5].add(
                    try await self.expire(
                        .idempotencyKeys, tenantID: tenant.id,
                        before: now - TimeInterval(self.defaults.idempotencyKeyRetention.components.seconds),
                        archive: false, dryRun: request.dryRun))
                totals[6].add(
                    try await self.expire(
                        .channelCallbacks, tenantID: tenant.id,
                        before: now - Self.days(self.defaults.channelCallbackDays), archive: false,
                        dryRun: request.dryRun))
                totals[7].add(
                    try await self.expire(
                        .channelMessageIDs, tenantID: tenant.id,
                        before: now - Self.days(self.defaults.channelMessageIDDays), archive: false,
                        dryRun: request.dryRun))
                tenantsProcessed += 1
                try await store.progress(id: record.id, tenantsProcessed: tenantsProcessed, tables: totals)
            }
            if request.tenantID == nil {
                // What belongs to no tenant, and the events, which the stream prunes by age alone.
                totals[1].add(
                    try await self.expire(
                        .apiLogs, tenantID: nil, before: now - Self.days(self.defaults.apiLogDays), archive: false,
                        dryRun: request.dryRun))
                totals[3].add(
                    try await self.expire(
                        .auditLog, tenantID: nil, before: now - Self.days(self.defaults.auditLogDays), archive: false,
                        dryRun: request.dryRun))
                totals[2].add(
                    try await self.expireEvents(
                        before: now - TimeInterval(self.defaults.eventRetention.components.seconds),
                        dryRun: request.dryRun))
                try await store.progress(id: record.id, tenantsProcessed: tenantsProcessed, tables: totals)
            }
        } catch is CancellationError {
            failure = "stopped: the server shut down before the run finished; the next run goes on from here"
        } catch {
            failure = "\(error)"
        }
        try? await store.progress(id: record.id, tenantsProcessed: tenantsProcessed, tables: totals)
        let finished = try await store.finish(id: record.id, error: failure) ?? record
        self.metrics.finished(
            succeeded: failure == nil,
            deleted: request.dryRun ? [] : totals.map { (table: $0.table, rows: $0.deleted) })
        self.logger.info(
            "retention run finished",
            metadata: [
                "run": "\(record.id.lowercasedString)", "state": "\(finished.state.rawValue)",
                "deleted": "\(totals.map { "\($0.table)=\($0.deleted)" }.joined(separator: ","))",
            ])
        return finished
    }

    // MARK: - Tenants

    private struct TenantRetention {
        var id: UUID
        var messageDays: Int?
        var apiLogDays: Int?
        var archive: Bool
    }

    private func tenants(only tenantID: UUID?) async throws -> [TenantRetention] {
        let rows = try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT id, coalesce((settings #>> '{retention,messageRetentionDays}')::int, 0) AS messages,
                            coalesce((settings #>> '{retention,apiLogRetentionDays}')::int, 0) AS api_logs,
                            coalesce((settings #>> '{retention,archiveBeforeDelete}')::boolean, false) AS archive
                        FROM tenants WHERE $1::uuid IS NULL OR id = $1 ORDER BY id
                        """,
                    binds: [tenantID.map(PostgresValue.uuid)]))
        }
        return try rows.map { row in
            let messages = Int(try row.decode("messages", as: Int32.self))
            let apiLogs = Int(try row.decode("api_logs", as: Int32.self))
            return TenantRetention(
                id: try row.decode("id", as: UUID.self), messageDays: messages > 0 ? messages : nil,
                apiLogDays: apiLogs > 0 ? apiLogs : nil, archive: try row.decode("archive", as: Bool.self))
        }
    }

    private static func days(_ days: Int) -> TimeInterval { TimeInterval(days) * 86_400 }
}

extension RetentionTableResult {
    mutating func add(_ other: RetentionTableResult) {
        self.examined += other.examined
        self.archived += other.archived
        self.deleted += other.deleted
    }
}
