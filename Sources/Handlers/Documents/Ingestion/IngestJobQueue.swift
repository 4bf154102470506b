internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// The durable ingestion jobs in `ingest_jobs`: claimed with `FOR UPDATE SKIP LOCKED` (any number
/// of workers in any number of processes take distinct jobs), leased for
/// ``Configuration/lease`` (a job whose worker died is claimed again once its lease ran out),
/// retried with exponential backoff after transient failures, dead-lettered after
/// ``Configuration/maximumAttempts`` or at once after a permanent one.
struct IngestJobQueue: Sendable {
    /// Timing of claims and retries.
    struct Configuration: Sendable {
        /// How long a claim holds a job before another worker may take it (renewed while the job
        /// makes progress). Default 120 s.
        var lease: Duration = .seconds(120)
        /// Attempts before a job is dead-lettered. Default 5.
        var maximumAttempts: Int32 = 5
        /// Delay before the first retry, doubled per attempt, at most 10 minutes. Default 5 s.
        var initialBackoff: Duration = .seconds(5)
    }

    let pool: PostgresPool
    var configuration = Configuration()

    private var leaseMicros: Int64 { Int64(self.configuration.lease.components.seconds) * 1_000_000 }

    /// Claims the next due job and marks its document PROCESSING; `nil` when none is due.
    func claim() async throws -> IngestJob? {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                """
                UPDATE ingest_jobs SET status = 'RUNNING', attempts = attempts + 1,
                    lease_until = now() + \(self.leaseMicros) * interval '1 microsecond', updated_at = now()
                WHERE id = (
                    SELECT id FROM ingest_jobs
                    WHERE (status = 'PENDING' AND run_after <= now()) OR (status = 'RUNNING' AND lease_until < now())
                    ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, tenant_id, document_id, generation, attempts
                """
            )
            guard let row = rows.first else { return nil }
            let job = IngestJob(
                id: try row.decode("id"), tenantID: try row.decode("tenant_id"),
                documentID: try row.decode("document_id"),
                generation: try row.decode("generation"), attempts: try row.decode("attempts"))
            try await connection.execute(
                """
                UPDATE documents SET status = 'PROCESSING', ingest_attempts = \(job.attempts), ingest_progress = 0,
                    updated_at = now()
                WHERE tenant_id = \(job.tenantID) AND id = \(job.documentID) AND generation = \(job.generation)
                """
            )
            return job
        }
    }

    /// Renews a running job's lease.
    func renew(_ job: IngestJob) async throws {
        try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE ingest_jobs SET lease_until = now() + \(self.leaseMicros) * interval '1 microsecond'
                WHERE id = \(job.id) AND status = 'RUNNING'
                """
            )
        }
    }

    /// Records progress (0...99) and renews the lease.
    func progress(_ job: IngestJob, percent: Int) async throws {
        try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE ingest_jobs SET lease_until = now() + \(self.leaseMicros) * interval '1 microsecond'
                WHERE id = \(job.id)
                """
            )
            try await connection.execute(
                """
                UPDATE documents SET ingest_progress = \(Int32(min(99, max(0, percent))))
                WHERE tenant_id = \(job.tenantID) AND id = \(job.documentID) AND generation = \(job.generation)
                """
            )
        }
    }

    /// Marks a job done without touching its document (superseded, or its document is gone).
    func finish(_ job: IngestJob, on connection: PostgresConnection) async throws {
        try await connection.execute(
            "UPDATE ingest_jobs SET status = 'DONE', lease_until = NULL, updated_at = now() WHERE id = \(job.id)")
    }

    /// Records a failed attempt: retried later when `transient` and attempts remain, else
    /// dead-lettered with the document FAILED.
    ///
    /// - Returns: Whether the job was dead-lettered.
    @discardableResult
    func fail(_ job: IngestJob, error message: String, transient: Bool) async throws -> Bool {
        let dead = !transient || job.attempts >= self.configuration.maximumAttempts
        let backoffSeconds = min(
            600,
            Double(self.configuration.initialBackoff.components.seconds)
                * Double(1 << min(20, max(0, Int(job.attempts) - 1))))
        let text = String(message.prefix(1000))
        try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE ingest_jobs SET status = \(dead ? "DEAD" : "PENDING"), last_error = \(text), lease_until = NULL,
                    run_after = now() + \(backoffSeconds) * interval '1 second', updated_at = now()
                WHERE id = \(job.id)
                """
            )
            try await connection.execute(
                """
                UPDATE documents SET status = \(dead ? "FAILED" : "PENDING"), last_ingest_error = \(text),
                    error_message = \(dead ? text : ""), updated_at = now()
                WHERE tenant_id = \(job.tenantID) AND id = \(job.documentID) AND generation = \(job.generation)
                """
            )
            // Only a dead letter of the document's current content is news: a superseded
            // generation's failure changed nothing the tenant sees.
            if dead,
                let failed = try await DocumentStore(connection: connection, tenantID: job.tenantID)
                    .find(job.documentID), failed.generation == job.generation, failed.document.status == .failed
            {
                try await OutboxWriter(connection: connection).append(
                    [try OutboxEvent.document(.documentFailed, document: failed.document)].compactMap { $0 })
            }
        }
        return dead
    }

    /// Hands a job back unfinished (the worker is shutting down): due again at once, the attempt
    /// not counted.
    func release(_ job: IngestJob) async throws {
        try await self.pool.withAdminTransaction { connection in
            try await connection.execute(
                """
                UPDATE ingest_jobs SET status = 'PENDING', attempts = greatest(0, attempts - 1), lease_until = NULL,
                    run_after = now(), updated_at = now()
                WHERE id = \(job.id) AND status = 'RUNNING'
                """
            )
            try await connection.execute(
                """
                UPDATE documents SET status = 'PENDING', updated_at = now()
                WHERE tenant_id = \(job.tenantID) AND id = \(job.documentID) AND generation = \(job.generation)
                  AND status = 'PROCESSING'
                """
            )
        }
    }
}
