internal import DocumentReaders
internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// The SQL of documents and their chunks, run on a connection inside a transaction scoped to
/// ``tenantID`` (row-level security shows no other tenant's rows; every statement names the
/// tenant anyway).
struct DocumentStore {
    /// The connection, inside a tenant transaction.
    let connection: PostgresConnection
    /// The tenant.
    let tenantID: UUID

    /// The fields of a new document.
    struct NewDocument {
        var id: UUID
        var title: String
        var filename: String
        var kind: DocumentKind
        var sizeBytes: Int64
        var sha256: String
        var metadataJSON: String
    }

    /// Inserts a document (generation 1) with its ingestion job, and wakes the workers when the
    /// transaction commits.
    func insert(_ new: NewDocument) async throws -> DocumentRow {
        let key = DocumentFileStore.key(tenantID: self.tenantID, documentID: new.id, generation: 1)
        let rows = try await self.connection.query(
            """
            INSERT INTO documents (tenant_id, id, title, filename, content_type, size_bytes, sha256, storage_key, metadata)
            VALUES (\(self.tenantID), \(new.id), \(new.title), \(new.filename), \(new.kind.mimeType), \(new.sizeBytes), \
            \(new.sha256), \(key), \(PostgresValue.jsonb(new.metadataJSON)))
            RETURNING \(unescaped: DocumentRow.columns)
            """
        )
        try await self.enqueue(new.id, generation: 1)
        return try DocumentRow(rows[0])
    }

    /// Queues ingestion of a document's generation and notifies the workers (on commit).
    func enqueue(_ id: UUID, generation: Int32) async throws {
        try await self.connection.execute(
            """
            INSERT INTO ingest_jobs (tenant_id, document_id, generation)
            VALUES (\(self.tenantID), \(id), \(generation))
            ON CONFLICT (tenant_id, document_id, generation) DO NOTHING
            """
        )
        _ = try await self.connection.query("SELECT pg_notify('document_ingest', '')")
    }

    /// The document with `id`; `nil` when the tenant has none. `lock` takes a row lock.
    func find(_ id: UUID, lock: Bool = false) async throws -> DocumentRow? {
        let suffix: StaticString = lock ? " FOR UPDATE" : ""
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: DocumentRow.columns) FROM documents
            WHERE tenant_id = \(self.tenantID) AND id = \(id)\(unescaped: suffix)
            """
        )
        return try rows.first.map(DocumentRow.init)
    }

    /// The tenant's document with this content, if any.
    func find(sha256: String) async throws -> DocumentRow? {
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: DocumentRow.columns) FROM documents
            WHERE tenant_id = \(self.tenantID) AND sha256 = \(sha256)
            """
        )
        return try rows.first.map(DocumentRow.init)
    }

    /// Up to `limit` documents, newest first, after the cursor, filtered.
    func list(
        status: String?, query: String?, after cursor: (micros: Int64, id: UUID)?, limit: Int
    ) async throws -> [DocumentRow] {
        let pattern = query.map { "%" + Self.escapeLike($0) + "%" }
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: DocumentRow.columns) FROM documents
            WHERE tenant_id = \(self.tenantID)
              AND (\(status)::text IS NULL OR status = \(status))
              AND (\(pattern)::text IS NULL OR title ILIKE \(pattern) OR filename ILIKE \(pattern))
              AND (\(cursor == nil) OR (created_at, id) < ('epoch'::timestamptz + \(cursor?.micros ?? 0) \
            * interval '1 microsecond', \(cursor?.id ?? UUID())))
            ORDER BY created_at DESC, id DESC
            LIMIT \(limit)
            """
        )
        return try rows.map(DocumentRow.init)
    }

    /// Writes a new title and/or metadata (`nil`: unchanged).
    func writeFields(_ id: UUID, title: String?, metadataJSON: String?) async throws -> DocumentRow {
        let rows = try await self.connection.query(
            """
            UPDATE documents SET title = coalesce(\(title), title),
                metadata = coalesce(\(metadataJSON.map(PostgresValue.jsonb)), metadata), updated_at = now()
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: DocumentRow.columns)
            """
        )
        return try DocumentRow(rows[0])
    }

    /// Starts a new generation: new content (when given) or the same one again, status PENDING,
    /// ingestion counters reset, a job queued. The old chunks stay until the new ones replace them.
    func restart(
        _ row: DocumentRow, content: (kind: DocumentKind, sizeBytes: Int64, sha256: String)?
    ) async throws -> DocumentRow {
        let id = try Self.uuid(row.document.id)
        let generation = row.generation + 1
        let key =
            content == nil
            ? row.storageKey : DocumentFileStore.key(tenantID: self.tenantID, documentID: id, generation: generation)
        let rows = try await self.connection.query(
            """
            UPDATE documents SET generation = \(generation), status = 'PENDING', storage_key = \(key),
                content_type = coalesce(\(content?.kind.mimeType), content_type),
                size_bytes = coalesce(\(content?.sizeBytes), size_bytes),
                sha256 = coalesce(\(content?.sha256), sha256),
                error_message = '', ingest_progress = 0, ingest_attempts = 0, last_ingest_error = '',
                updated_at = now()
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: DocumentRow.columns)
            """
        )
        try await self.enqueue(id, generation: generation)
        return try DocumentRow(rows[0])
    }

    /// Deletes a document; its chunks and jobs go with it (foreign keys cascade).
    ///
    /// - Returns: How many chunks were deleted.
    func delete(_ id: UUID) async throws -> Int {
        let chunks = try await self.connection.execute(
            "DELETE FROM document_chunks WHERE tenant_id = \(self.tenantID) AND document_id = \(id)")
        try await self.connection.execute("DELETE FROM documents WHERE tenant_id = \(self.tenantID) AND id = \(id)")
        return chunks
    }

    /// Up to `limit` chunks of a document from `index` on, in order.
    func chunks(_ documentID: UUID, from index: Int32, limit: Int, embeddings: Bool) async throws -> [PostgresRow] {
        let rows = try await self.connection.query(
            """
            SELECT id, document_id, chunk_index, text, token_count, char_start, char_end, page, dimensions,
                embedding_model, created_at, CASE WHEN \(embeddings) THEN embedding::text END AS embedding_text
            FROM document_chunks
            WHERE tenant_id = \(self.tenantID) AND document_id = \(documentID) AND chunk_index >= \(index)
            ORDER BY chunk_index LIMIT \(limit)
            """
        )
        return Array(rows)
    }

    /// `text` with LIKE's wildcards escaped.
    static func escapeLike(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// The UUID of an id this module wrote.
    static func uuid(_ text: String) throws -> UUID {
        guard let id = UUID(canonicalText: text) else {
            throw DocumentFileError(operation: "parse stored id", errno: 0)
        }
        return id
    }
}
