internal import DocumentReaders
internal import FoundationEssentials
package import Logging
internal import MetaChatAPI
package import Monitoring
package import Storage

#if canImport(Glibc)
    internal import Glibc
#endif

/// Ingests one document generation: reads its file, extracts the text, chunks it, embeds the
/// chunks (when an embedder is configured) and replaces the document's chunks in one
/// transaction that also marks it READY. A job for a generation that was superseded meanwhile
/// writes nothing, so a retried or duplicated job can never leave two sets of chunks.
package struct DocumentIngestor: Sendable {
    let pool: PostgresPool
    let files: DocumentFileStore
    let extractor: DocumentExtractor
    let chunker: DocumentChunker
    let embedders: TenantEmbedderDirectory
    let queue: IngestJobQueue
    let metrics: IngestionMetrics
    let logger: Logger

    /// Creates an ingestor embedding every tenant's chunks with one embedder.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - files: Where original bytes are kept.
    ///   - embedder: Embeds chunks; `nil`: chunks are stored for full-text search only.
    ///   - temporaryDirectory: Where `pdftotext` works.
    ///   - lease: How long a claimed job stays with its worker without progress (default 120 s).
    ///   - metrics: Counts every run of a job by outcome.
    ///   - logger: Receives failures (never document content).
    package init(
        pool: PostgresPool, files: DocumentFileStore, embedder: (any TextEmbedder)?, temporaryDirectory: String,
        lease: Duration = .seconds(120), metrics: IngestionMetrics = PlatformMetrics.unobserved().ingestion,
        logger: Logger
    ) {
        self.init(
            pool: pool, files: files, embedders: TenantEmbedderDirectory(fixed: embedder),
            temporaryDirectory: temporaryDirectory, lease: lease, metrics: metrics, logger: logger)
    }

    /// Creates an ingestor embedding each tenant's chunks with its own embedder
    /// (`settings.rag.embedding`, else the server's).
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - files: Where original bytes are kept.
    ///   - embedders: Picks each tenant's embedder.
    ///   - temporaryDirectory: Where `pdftotext` works.
    ///   - lease: How long a claimed job stays with its worker without progress (default 120 s).
    ///   - metrics: Counts every run of a job by outcome.
    ///   - logger: Receives failures (never document content).
    package init(
        pool: PostgresPool, files: DocumentFileStore, embedders: TenantEmbedderDirectory, temporaryDirectory: String,
        lease: Duration = .seconds(120), metrics: IngestionMetrics = PlatformMetrics.unobserved().ingestion,
        logger: Logger
    ) {
        self.pool = pool
        self.files = files
        self.extractor = DocumentExtractor(pdf: PDFExtractor(temporaryDirectory: temporaryDirectory))
        self.chunker = DocumentChunker()
        self.embedders = embedders
        var queue = IngestJobQueue(pool: pool)
        queue.configuration.lease = lease
        self.queue = queue
        self.metrics = metrics
        self.logger = logger
    }

    /// Claims and runs one due job; `false` when none was due.
    package func runNext() async throws -> Bool {
        guard let job = try await self.queue.claim() else { return false }
        await self.run(job)
        return true
    }

    /// Runs a claimed job to its end (done, retry scheduled, or dead-lettered), renewing its
    /// lease every third of the lease while it runs: a live worker keeps its job however slow
    /// the embedding service is, a killed one loses it when the lease runs out.
    func run(_ job: IngestJob) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let interval = self.queue.configuration.lease / 3
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: interval)
                        try await self.queue.renew(job)
                    } catch {
                        if Task.isCancelled { return }
                    }
                }
            }
            await self.runWithoutRenewal(job)
            group.cancelAll()
        }
    }

    private func runWithoutRenewal(_ job: IngestJob) async {
        do {
            try await self.ingest(job)
            self.metrics.finished(.ready)
        } catch is CancellationError {
            try? await self.queue.release(job)
            self.metrics.finished(.released)
        } catch let error as ExtractionError {
            await self.fail(job, error.message, transient: false)
        } catch let error as EmbeddingError {
            await self.fail(job, error.message, transient: error.isTransient)
        } catch let error as PostgresError where error.isUnavailable {
            await self.fail(job, "the database was unavailable", transient: true)
        } catch {
            self.logger.error(
                "document ingestion failed",
                metadata: ["document": "\(job.documentID)", "error": "\(String(reflecting: error))"])
            await self.fail(job, "ingestion failed unexpectedly; it will be retried", transient: true)
        }
    }

    private func fail(_ job: IngestJob, _ message: String, transient: Bool) async {
        do {
            let dead = try await self.queue.fail(job, error: message, transient: transient)
            self.metrics.finished(dead ? .failed : .retry)
            self.logger.notice(
                dead ? "document ingestion failed for good" : "document ingestion will be retried",
                metadata: ["document": "\(job.documentID)", "attempt": "\(job.attempts)", "error": "\(message)"])
        } catch {
            self.logger.warning("could not record an ingestion failure; the lease will expire and the job run again")
        }
    }

    private func ingest(_ job: IngestJob) async throws {
        let current = try await self.pool.withTenantTransaction(tenantID: job.tenantID) { connection in
            try await DocumentStore(connection: connection, tenantID: job.tenantID).find(job.documentID)
        }
        guard let current, current.generation == job.generation else {
            try await self.pool.withAdminTransaction { try await self.queue.finish(job, on: $0) }
            return
        }
        guard let kind = DocumentKind(rawValue: current.document.contentType) else {
            throw ExtractionError("the document's content type is not supported")
        }
        let files = self.files
        let key = current.storageKey
        guard files.exists(key) else {
            throw DocumentFileError(operation: "open \(key)", errno: ENOENT)
        }
        let extracted = try await self.extractor.extract(storedAt: files.path(key), kind: kind) {
            try files.readAll(key)
        }
        let drafts = self.chunker.chunks(extracted)
        try await self.queue.progress(job, percent: 10)
        let settings = try await TenantSearchSettings.load(job.tenantID, pool: self.pool)
        let embedder = self.embedders.embedders(for: settings, tenantID: job.tenantID).current
        var vectors: [[Float]] = []
        if let embedder {
            let batch = 64
            var start = 0
            while start < drafts.count {
                try Task.checkCancellation()
                let end = min(drafts.count, start + batch)
                vectors += try await embedder.embed(drafts[start..<end].map(\.text))
                start = end
                try await self.queue.progress(job, percent: 10 + 85 * start / max(1, drafts.count))
            }
        }
        let language = settings.language
        try await self.pool.withTenantTransaction(tenantID: job.tenantID) { connection in
            let store = DocumentStore(connection: connection, tenantID: job.tenantID)
            guard let locked = try await store.find(job.documentID, lock: true), locked.generation == job.generation
            else {
                try await self.queue.finish(job, on: connection)
                return
            }
            try await connection.execute(
                "DELETE FROM document_chunks WHERE tenant_id = \(job.tenantID) AND document_id = \(job.documentID)")
            let model = embedder?.model ?? ""
            for (index, draft) in drafts.enumerated() {
                let vector = index < vectors.count ? vectors[index] : nil
                try await connection.execute(
                    """
                    INSERT INTO document_chunks (tenant_id, document_id, chunk_index, text, token_count, char_start,
                        char_end, page, embedding, dimensions, embedding_model, search_vector)
                    VALUES (\(job.tenantID), \(job.documentID), \(Int32(index)), \(draft.text), \(Int32(draft.tokenCount)), \
                    \(Int32(draft.start)), \(Int32(draft.end)), \(Int32(draft.page)), \
                    \(vector.map { PostgresValue.unknown(ChunkRow.text($0)) })::vector, \(Int32(vector?.count ?? 0)), \
                    \(vector == nil ? "" : model), to_tsvector(\(language)::regconfig, \(draft.text)))
                    """
                )
            }
            let dimensions = Int32(vectors.first?.count ?? 0)
            // The row as the event carries it comes back from the update itself: no second read.
            let updated = try await connection.query(
                """
                UPDATE documents SET status = 'READY', chunk_count = \(Int32(drafts.count)),
                    page_count = \(Int32(extracted.pageCount)), embedding_model = \(dimensions > 0 ? model : ""),
                    embedding_dimensions = \(dimensions), ingest_progress = 100, error_message = '',
                    last_ingest_error = '', indexed_at = now(), updated_at = now()
                WHERE tenant_id = \(job.tenantID) AND id = \(job.documentID)
                RETURNING \(unescaped: DocumentRow.columns)
                """
            )
            if let ready = try updated.first.map(DocumentRow.init) {
                try await OutboxWriter(connection: connection).append(
                    [try OutboxEvent.document(.documentReady, document: ready.document)].compactMap { $0 })
            }
            // The last document of a reindex ends the need for the tenant's previous embedder.
            try await connection.execute(
                """
                UPDATE tenants SET previous_embedding = NULL, previous_embedding_api_key = NULL
                WHERE id = \(job.tenantID) AND previous_embedding IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM documents WHERE tenant_id = \(job.tenantID) AND id <> \(job.documentID)
                        AND status IN ('PENDING', 'PROCESSING'))
                """
            )
            try await self.queue.finish(job, on: connection)
        }
    }

    /// The tenant's text search configuration (`rag.text_search_language`), `simple` when unset
    /// or not one PostgreSQL has.
    func language(_ tenantID: UUID) async throws -> String {
        try await TenantSearchSettings.load(tenantID, pool: self.pool).language
    }
}
