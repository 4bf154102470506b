internal import DocumentReaders
internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage
package import SwiftProtobuf

/// Answers `metachat.v1.DocumentService`: the knowledge base's documents, uploads, downloads,
/// chunks and search.
///
/// Every method checks the request's text (``RequestTextCheck``), resolves the tenant it acts on
/// (``TenantAccessResolver``), checks its fields, then hands the work to the
/// ``DocumentLedger`` (one tenant-scoped transaction) or the ``Retriever``. Ingestion runs
/// later, in the ``DocumentIngestionWorker``s. A document of another tenant answers `NOT_FOUND`,
/// exactly like one that does not exist.
///
/// ```swift
/// DocumentHandler(pool: postgres, files: DocumentFileStore(root: storagePath), retriever: retriever)
///     .registerMethods(with: &router)
/// ```
package struct DocumentHandler: Metachat_V1_DocumentService.Handler {
    let ledger: DocumentLedger
    let access: TenantAccessResolver
    let retriever: any Retriever

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - files: Where original bytes are kept (`STORAGE_PATH`).
    ///   - retriever: Answers SearchDocuments.
    package init(pool: PostgresPool, files: DocumentFileStore, retriever: any Retriever) {
        self.ledger = DocumentLedger(pool: pool, files: files)
        self.access = TenantAccessResolver(pool: pool)
        self.retriever = retriever
    }

    package func createDocument(
        request: Metachat_V1_CreateDocumentRequest, context: ServerContext
    ) async throws -> Metachat_V1_Document {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let title = try DocumentFieldRules.title(request.title)
        try DocumentFieldRules.textContent(request.content)
        try TenantFieldRules.checkMetadata(request.metadata)
        let bytes = Array(request.content.utf8)
        let kind = try DocumentFieldRules.kind(
            bytes, declared: request.contentType.isEmpty ? "text/plain" : request.contentType, filename: "",
            field: "contentType")
        guard kind == .text || kind == .markdown || kind == .html else {
            throw TenantFieldViolation.error(
                "contentType", "must be a text type here; upload files with UploadDocument")
        }
        let upload = try self.ledger.files.writeTemporary(bytes)
        return try await self.ledger.create(
            tenantID: access.tenantID, title: title, filename: "", kind: kind, upload: upload,
            metadata: request.metadata)
    }

    package func uploadDocument(
        request: RPCAsyncSequence<Metachat_V1_UploadDocumentRequest>, context: ServerContext
    ) async throws -> Metachat_V1_Document {
        let access = try await self.access.resolve(context)
        var messages = request.makeAsyncIterator()
        guard let first = try await messages.next() else {
            throw TenantFieldViolation.error("header", "must be the first message")
        }
        guard case .header(let header) = first.part else {
            throw TenantFieldViolation.error("header", "must be the first message")
        }
        try RequestTextCheck.check(header)
        let filename = try DocumentFieldRules.filename(header.filename)
        let title = header.title.isEmpty ? filename : try DocumentFieldRules.title(header.title, field: "header.title")
        // 0: the size is not announced (a multipart upload through REST); the limit still holds.
        guard header.totalSize == 0 || (1...DocumentFieldRules.maximumUploadBytes).contains(header.totalSize) else {
            throw TenantFieldViolation.error("header.totalSize", "must be 0 (not announced) or between 1 and 104857600")
        }
        let announced = header.totalSize > 0
        try DocumentFieldRules.sha256(header.sha256, field: "header.sha256")
        try TenantFieldRules.checkMetadata(header.metadata)
        let upload = try self.ledger.files.beginUpload()
        do {
            while let message = try await messages.next() {
                guard case .chunk(let data) = message.part else {
                    throw TenantFieldViolation.error("header", "must appear exactly once, first")
                }
                guard (1...DocumentFieldRules.maximumUploadPieceBytes).contains(data.count) else {
                    throw TenantFieldViolation.error("chunk", "must be 1 byte to 1 MiB")
                }
                guard
                    upload.size + Int64(data.count)
                        <= (announced ? header.totalSize : DocumentFieldRules.maximumUploadBytes)
                else {
                    throw announced
                        ? TenantFieldViolation.error("header.totalSize", "is smaller than the bytes sent")
                        : TenantFieldViolation.error("chunk", "the file is larger than 104857600 bytes (100 MiB)")
                }
                try upload.append(Array(data))
            }
            try upload.finish()
            guard announced || upload.size > 0 else {
                throw TenantFieldViolation.error("chunk", "the file is empty")
            }
            guard !announced || upload.size == header.totalSize else {
                throw TenantFieldViolation.error("header.totalSize", "is larger than the bytes sent")
            }
            guard header.sha256.isEmpty || header.sha256 == upload.sha256 else {
                throw TenantFieldViolation.error("header.sha256", "does not match the bytes sent")
            }
            let declared =
                header.contentType.isEmpty
                ? (DocumentKind.guessed(filename: filename)?.mimeType ?? "") : header.contentType
            let kind = try DocumentFieldRules.kind(
                upload.prefix, declared: declared, filename: filename, field: "header.contentType")
            return try await self.ledger.create(
                tenantID: access.tenantID, title: title, filename: filename, kind: kind, upload: upload,
                metadata: header.metadata)
        } catch {
            upload.discard()
            throw error
        }
    }

    package func updateDocument(
        request: Metachat_V1_UpdateDocumentRequest, context: ServerContext
    ) async throws -> Metachat_V1_Document {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.documentID)
        let id = try ConversationFieldRules.uuid(request.documentID, field: "documentId")
        var paths = Set(request.updateMask.paths)
        if !request.hasUpdateMask {
            if !request.document.title.isEmpty { paths.insert("title") }
            if !request.document.metadata.isEmpty { paths.insert("metadata") }
            if !request.content.isEmpty { paths.insert("content") }
        }
        for path in paths.sorted() where !["title", "metadata", "content"].contains(path) {
            throw TenantFieldViolation.error("updateMask", "may name only title, metadata and content")
        }
        guard !paths.isEmpty else {
            throw TenantFieldViolation.error("updateMask", "must name at least one of title, metadata and content")
        }
        let title =
            paths.contains("title")
            ? try DocumentFieldRules.title(request.document.title, field: "document.title") : nil
        if paths.contains("metadata") { try TenantFieldRules.checkMetadata(request.document.metadata) }
        var content: (kind: DocumentKind, upload: DocumentFileStore.Upload)?
        if paths.contains("content") {
            try DocumentFieldRules.textContent(request.content)
            let bytes = Array(request.content.utf8)
            let kind = try DocumentFieldRules.kind(
                bytes, declared: request.contentType.isEmpty ? "text/plain" : request.contentType, filename: "",
                field: "contentType")
            guard kind == .text || kind == .markdown || kind == .html else {
                throw TenantFieldViolation.error("contentType", "must be a text type")
            }
            content = (kind, try self.ledger.files.writeTemporary(bytes))
        }
        return try await self.ledger.update(
            tenantID: access.tenantID, id: id, title: title,
            metadata: paths.contains("metadata") ? request.document.metadata : nil, content: content)
    }

    package func downloadDocument(
        request: Metachat_V1_DownloadDocumentRequest, response: RPCWriter<Metachat_V1_DocumentContent>,
        context: ServerContext
    ) async throws {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.documentID)
        let id = try ConversationFieldRules.uuid(request.documentID, field: "documentId")
        let row = try await self.ledger.row(tenantID: access.tenantID, id: id)
        var offset = 0
        repeat {
            let bytes = try self.ledger.files.read(row.storageKey, offset: offset, count: 1 << 20)
            var message = Metachat_V1_DocumentContent()
            if offset == 0 {
                message.contentType = row.document.contentType
                message.filename = row.document.filename
            }
            message.data = Data(bytes)
            try await response.write(message)
            offset += bytes.count
            if bytes.count < 1 << 20 { return }
        } while true
    }

    package func getDocument(
        request: Metachat_V1_GetDocumentRequest, context: ServerContext
    ) async throws -> Metachat_V1_Document {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.documentID)
        let id = try ConversationFieldRules.uuid(request.documentID, field: "documentId")
        return try await self.ledger.document(tenantID: access.tenantID, id: id)
    }

    package func listDocuments(
        request: Metachat_V1_ListDocumentsRequest, context: ServerContext
    ) async throws -> Metachat_V1_ListDocumentsResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let pageSize = try DocumentFieldRules.pageSize(request.pageSize)
        let status = try DocumentFieldRules.status(request.status)
        try TenantTextRules.check(request.query, field: "query", maximum: 200)
        let fingerprint = "\(status ?? "")/\(request.query)"
        var cursor: (micros: Int64, id: UUID)?
        if !request.pageToken.isEmpty {
            let token = try KeysetPageToken(decoding: request.pageToken, filters: fingerprint, method: "ListDocuments")
            guard let id = token.id else {
                throw TenantFieldViolation.error("pageToken", "is not a token from a previous ListDocuments response")
            }
            cursor = (token.position, id)
        }
        let rows = try await self.ledger.list(
            tenantID: access.tenantID, status: status, query: request.query.isEmpty ? nil : request.query,
            after: cursor, limit: pageSize + 1)
        var response = Metachat_V1_ListDocumentsResponse()
        let page = rows.prefix(pageSize)
        response.documents = page.map(\.document)
        if rows.count > pageSize, let last = page.last, let id = UUID(canonicalText: last.document.id) {
            response.nextPageToken = KeysetPageToken(position: last.createdMicros, id: id, filters: fingerprint)
                .encoded()
        }
        return response
    }

    package func deleteDocument(
        request: Metachat_V1_DeleteDocumentRequest, context: ServerContext
    ) async throws -> Google_Protobuf_Empty {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.documentID)
        let id = try ConversationFieldRules.uuid(request.documentID, field: "documentId")
        _ = try await self.ledger.delete(
            tenantID: access.tenantID, id: id, actor: access.actor, requestID: context.requestID)
        return Google_Protobuf_Empty()
    }

    package func reindexDocument(
        request: Metachat_V1_ReindexDocumentRequest, context: ServerContext
    ) async throws -> Metachat_V1_Document {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.documentID)
        let id = try ConversationFieldRules.uuid(request.documentID, field: "documentId")
        return try await self.ledger.reindex(tenantID: access.tenantID, id: id)
    }

    package func searchDocuments(
        request: Metachat_V1_SearchDocumentsRequest, context: ServerContext
    ) async throws -> Metachat_V1_SearchDocumentsResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        try TenantTextRules.check(request.query, field: "query", minimum: 1, maximum: 2000)
        guard !request.query.allSatisfy(\.isWhitespace) else {
            throw TenantFieldViolation.error("query", "must not be blank")
        }
        guard (0...50).contains(request.topK) else {
            throw TenantFieldViolation.error("topK", "must be between 0 and 50")
        }
        if request.hasMinScore {
            guard request.minScore.value.isFinite, (0...1).contains(request.minScore.value) else {
                throw TenantFieldViolation.error("minScore", "must be between 0 and 1")
            }
        }
        guard request.documentIds.count <= 100 else {
            throw TenantFieldViolation.error("documentIds", "must hold at most 100 IDs")
        }
        let documentIDs = try request.documentIds.enumerated().map { index, text in
            try ConversationFieldRules.uuid(text, field: "documentIds[\(index)]")
        }
        guard request.metadataFilter.count <= 16 else {
            throw TenantFieldViolation.error("metadataFilter", "must have at most 16 entries")
        }
        do {
            try TenantFieldRules.checkMetadata(request.metadataFilter)
        } catch let error as RPCError {
            throw RPCError(code: error.code, message: "metadataFilter" + error.message.dropFirst("metadata".count))
        }
        let mode: Metachat_V1_SearchMode
        switch request.mode {
        case .unspecified, .hybrid: mode = .hybrid
        case .vector, .text: mode = request.mode
        case .UNRECOGNIZED: throw TenantFieldViolation.error("mode", "must be a search mode")
        }
        let retrieval = try await self.retriever.retrieve(
            RetrievalQuery(
                text: request.query, mode: mode, topK: request.topK == 0 ? nil : Int(request.topK),
                minScore: request.hasMinScore ? request.minScore.value : nil, documentIDs: documentIDs,
                metadata: request.metadataFilter),
            tenantID: access.tenantID)
        var response = Metachat_V1_SearchDocumentsResponse()
        response.results = retrieval.passages
        response.embeddingModel = retrieval.embeddingModel
        response.mode = retrieval.mode
        response.notice = retrieval.notice
        return response
    }

    package func listDocumentChunks(
        request: Metachat_V1_ListDocumentChunksRequest, context: ServerContext
    ) async throws -> Metachat_V1_ListDocumentChunksResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.documentID)
        let id = try ConversationFieldRules.uuid(request.documentID, field: "documentId")
        let pageSize = try DocumentFieldRules.pageSize(request.pageSize)
        let filters = "\(id.uuidString.lowercased())/\(request.includeEmbeddings)"
        var index: Int32 = 0
        if !request.pageToken.isEmpty {
            let token = try KeysetPageToken(decoding: request.pageToken, filters: filters, method: "ListDocumentChunks")
            guard let next = Int32(exactly: token.position), next >= 0 else {
                throw TenantFieldViolation.error(
                    "pageToken", "is not a token from a previous ListDocumentChunks response")
            }
            index = next
        }
        let chunks = try await self.ledger.chunks(
            tenantID: access.tenantID, id: id, from: index, limit: pageSize + 1, embeddings: request.includeEmbeddings)
        var response = Metachat_V1_ListDocumentChunksResponse()
        response.chunks = Array(chunks.prefix(pageSize))
        if chunks.count > pageSize, let last = response.chunks.last {
            response.nextPageToken = KeysetPageToken(position: Int64(last.index) + 1, filters: filters).encoded()
        }
        return response
    }
}
