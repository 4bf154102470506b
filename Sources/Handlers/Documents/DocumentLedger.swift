internal import DocumentReaders
package import FoundationEssentials
package import MetaChatAPI
internal import RPCServer
package import Storage

/// The document operations: each runs in one transaction scoped to its tenant, and moves or
/// deletes the stored file around it (a file is in place before the row that names it commits;
/// a deleted document's file goes after its rows are gone).
package struct DocumentLedger: Sendable {
    let pool: PostgresPool
    let files: DocumentFileStore

    /// Creates the ledger.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - files: Where original bytes are kept.
    package init(pool: PostgresPool, files: DocumentFileStore) {
        self.pool = pool
        self.files = files
    }

    /// Stores a new document from a finished upload and queues its ingestion; answers the
    /// tenant's existing document instead when it already has this content (the upload is
    /// discarded).
    func create(
        tenantID: UUID, title: String, filename: String, kind: DocumentKind, upload: DocumentFileStore.Upload,
        metadata: [String: String]
    ) async throws -> Metachat_V1_Document {
        let metadataJSON = try StoredMetadata.json(metadata)
        let new = DocumentStore.NewDocument(
            id: UUID(), title: title, filename: filename, kind: kind, sizeBytes: upload.size, sha256: upload.sha256,
            metadataJSON: metadataJSON)
        do {
            let row = try await self.transaction(tenantID) { store in
                if let existing = try await store.find(sha256: new.sha256) {
                    return (existing, false)
                }
                let row = try await store.insert(new)
                try self.files.commit(upload, to: row.storageKey)
                return (row, true)
            }
            if !row.1 { upload.discard() }
            return row.0.document
        } catch let error as RPCError where error.code == .alreadyExists {
            // Another request stored the same content first.
            upload.discard()
            return try await self.transaction(tenantID) { store in
                guard let existing = try await store.find(sha256: new.sha256) else { throw error }
                return existing.document
            }
        } catch {
            upload.discard()
            if self.files.exists(DocumentFileStore.key(tenantID: tenantID, documentID: new.id, generation: 1)) {
                self.files.remove(DocumentFileStore.key(tenantID: tenantID, documentID: new.id, generation: 1))
            }
            throw error
        }
    }

    /// The document with `id`.
    ///
    /// - Throws: `NOT_FOUND` when the tenant has none with this id.
    package func document(tenantID: UUID, id: UUID) async throws -> Metachat_V1_Document {
        try await self.row(tenantID: tenantID, id: id).document
    }

    /// The row of the document with `id`.
    func row(tenantID: UUID, id: UUID) async throws -> DocumentRow {
        try await self.transaction(tenantID) { store in
            guard let row = try await store.find(id) else { throw Self.notFound(id) }
            return row
        }
    }

    /// A page of documents, newest first.
    func list(tenantID: UUID, status: String?, query: String?, after cursor: (micros: Int64, id: UUID)?, limit: Int)
        async throws -> [DocumentRow]
    {
        try await self.transaction(tenantID) { store in
            try await store.list(status: status, query: query, after: cursor, limit: limit)
        }
    }

    /// Changes title and/or metadata (`nil`: unchanged), and replaces the content when an upload
    /// is given (a new generation, ingested again).
    ///
    /// - Throws: `NOT_FOUND`; `ALREADY_EXISTS` when the new content equals another document's.
    func update(
        tenantID: UUID, id: UUID, title: String?, metadata: [String: String]?,
        content: (kind: DocumentKind, upload: DocumentFileStore.Upload)?
    ) async throws -> Metachat_V1_Document {
        let metadataJSON = try metadata.map(StoredMetadata.json)
        var oldKey: String?
        do {
            let row = try await self.transaction(tenantID) { store in
                guard var row = try await store.find(id, lock: true) else { throw Self.notFound(id) }
                if title != nil || metadataJSON != nil {
                    row = try await store.writeFields(id, title: title, metadataJSON: metadataJSON)
                }
                if let content {
                    if let other = try await store.find(sha256: content.upload.sha256) {
                        guard other.document.id != row.document.id else { return row }
                        throw RPCError(
                            code: .alreadyExists,
                            message: "Document \(other.document.id) already has this content.")
                    }
                    oldKey = row.storageKey
                    row = try await store.restart(
                        row, content: (content.kind, content.upload.size, content.upload.sha256))
                    try self.files.commit(content.upload, to: row.storageKey)
                }
                return row
            }
            content?.upload.discard()
            if let oldKey, oldKey != row.storageKey { self.files.remove(oldKey) }
            return row.document
        } catch {
            content?.upload.discard()
            throw error
        }
    }

    /// Queues ingestion again with the tenant's current settings.
    ///
    /// - Throws: `NOT_FOUND`; `FAILED_PRECONDITION` while ingestion is pending or running.
    func reindex(tenantID: UUID, id: UUID) async throws -> Metachat_V1_Document {
        try await self.transaction(tenantID) { store in
            guard let row = try await store.find(id, lock: true) else { throw Self.notFound(id) }
            guard row.document.status == .ready || row.document.status == .failed else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "Document \(row.document.id) is being ingested; reindex it once it is READY or FAILED.")
            }
            return try await store.restart(row, content: nil).document
        }
    }

    /// Deletes a document with its chunks, jobs and stored file.
    ///
    /// - Returns: How many chunks were deleted.
    func delete(tenantID: UUID, id: UUID, actor: String, requestID: String) async throws -> Int {
        let (key, chunks) = try await self.transaction(tenantID) { store in
            guard let row = try await store.find(id, lock: true) else { throw Self.notFound(id) }
            let chunks = try await store.delete(id)
            try await AuditEntry(
                actor: actor, action: "document.deleted", target: id.uuidString.lowercased(), tenantID: tenantID,
                requestID: requestID.isEmpty ? nil : requestID, details: ["chunks": String(chunks)]
            ).write(on: store.connection)
            return (row.storageKey, chunks)
        }
        self.files.remove(key)
        return chunks
    }

    /// A page of a document's chunks.
    func chunks(tenantID: UUID, id: UUID, from index: Int32, limit: Int, embeddings: Bool) async throws
        -> [Metachat_V1_Chunk]
    {
        try await self.transaction(tenantID) { store in
            guard try await store.find(id) != nil else { throw Self.notFound(id) }
            return try await store.chunks(id, from: index, limit: limit, embeddings: embeddings).map(ChunkRow.chunk)
        }
    }

    // MARK: Helpers

    /// Runs `body` in a transaction scoped to `tenantID`, turning PostgreSQL failures into RPC
    /// statuses.
    func transaction<Result: Sendable>(_ tenantID: UUID, _ body: (DocumentStore) async throws -> Result)
        async throws -> Result
    {
        do {
            return try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                try await body(DocumentStore(connection: connection, tenantID: tenantID))
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    /// The answer for a document the tenant does not have (another tenant's answers the same).
    static func notFound(_ id: UUID) -> RPCError {
        RPCError(code: .notFound, message: "Document \(id.uuidString.lowercased()) was not found.")
    }
}
