internal import FoundationEssentials
internal import Storage

/// Queues a new generation of every document of a tenant that is READY or being ingested, after
/// its embedder changed: the durable ingest jobs re-embed them in the background. A document's old
/// chunks keep answering searches until its job replaces them in one transaction; a job already
/// running for an older generation writes nothing when it ends. FAILED documents are left as they
/// are (ReindexDocument retries one).
enum TenantEmbeddingReindex {
    /// Queues the reindex in the caller's transaction (which may be a tenant's or an admin's).
    ///
    /// - Returns: How many documents were queued.
    @discardableResult
    static func queue(tenantID: UUID, on connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query(
            """
            WITH restarted AS (
                UPDATE documents SET generation = generation + 1, status = 'PENDING', error_message = '',
                    ingest_progress = 0, ingest_attempts = 0, last_ingest_error = '', updated_at = now()
                WHERE tenant_id = \(tenantID) AND status IN ('READY', 'PENDING', 'PROCESSING')
                RETURNING id, generation
            ), queued AS (
                INSERT INTO ingest_jobs (tenant_id, document_id, generation)
                SELECT \(tenantID), id, generation FROM restarted
                ON CONFLICT (tenant_id, document_id, generation) DO NOTHING
                RETURNING 1
            )
            SELECT count(*) AS n FROM queued
            """
        )
        let queued = Int(try rows.first?.decode("n", as: Int64.self) ?? 0)
        if queued > 0 {
            _ = try await connection.query("SELECT pg_notify('document_ingest', '')")
        }
        return queued
    }
}
