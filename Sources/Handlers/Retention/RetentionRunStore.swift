internal import FoundationEssentials
internal import Storage

/// The SQL of `retention_runs`, in admin-scope transactions of its own.
struct RetentionRunStore {
    let pool: PostgresPool

    /// Records a new run, and marks every other run still RUNNING as failed: the caller holds the
    /// retention lock, so no other run can be working.
    func start(
        trigger: RetentionRunRecord.Trigger, requestedBy: String, dryRun: Bool, tenantID: UUID?, scheduledFor: Date?
    ) async throws -> RetentionRunRecord? {
        try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE retention_runs SET state = 'FAILED', finished_at = now(),
                    error = 'interrupted: the node running it stopped before it finished'
                WHERE state = 'RUNNING'
                """)
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO retention_runs (trigger, requested_by, dry_run, tenant_id, scheduled_for)
                        VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT (scheduled_for) DO NOTHING
                        RETURNING \(RetentionRunRecord.columns)
                        """,
                    binds: [
                        .text(trigger.rawValue), .text(requestedBy), .bool(dryRun), tenantID.map(PostgresValue.uuid),
                        scheduledFor.map(PostgresValue.timestamp),
                    ]))
            return try rows.first.map(RetentionRunRecord.init)
        }
    }

    /// Writes a run's progress.
    func progress(id: UUID, tenantsProcessed: Int, tables: [RetentionTableResult]) async throws {
        let json = String(decoding: try JSONEncoder().encode(tables), as: UTF8.self)
        try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                "UPDATE retention_runs SET tenants_processed = $2, tables = $3 WHERE id = $1",
                [.uuid(id), .int32(Int32(clamping: tenantsProcessed)), .jsonb(json)])
        }
    }

    /// Ends a run.
    func finish(id: UUID, error: String?) async throws -> RetentionRunRecord? {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE retention_runs SET state = $2, error = $3, finished_at = now()
                        WHERE id = $1 RETURNING \(RetentionRunRecord.columns)
                        """,
                    binds: [.uuid(id), .text(error == nil ? "SUCCEEDED" : "FAILED"), error.map(PostgresValue.text)]))
            return try rows.first.map(RetentionRunRecord.init)
        }
    }

    /// One run.
    func find(id: UUID) async throws -> RetentionRunRecord? {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: "SELECT \(RetentionRunRecord.columns) FROM retention_runs WHERE id = $1",
                    binds: [.uuid(id)]))
            return try rows.first.map(RetentionRunRecord.init)
        }
    }

    /// The latest runs, newest first.
    func latest(limit: Int) async throws -> [RetentionRunRecord] {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(RetentionRunRecord.columns) FROM retention_runs
                        ORDER BY started_at DESC, id DESC LIMIT $1
                        """,
                    binds: [.int32(Int32(clamping: limit))]))
            return try rows.map(RetentionRunRecord.init)
        }
    }

    /// The run working now, if any.
    func running() async throws -> RetentionRunRecord? {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(RetentionRunRecord.columns) FROM retention_runs WHERE state = 'RUNNING'
                        ORDER BY started_at DESC LIMIT 1
                        """))
            return try rows.first.map(RetentionRunRecord.init)
        }
    }
}
