internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A `documents` row as the document store reads it, turned into the `Document` clients see.
struct DocumentRow: Sendable {
    /// The columns every document query selects or returns (unqualified).
    static let columns: StaticString = """
        tenant_id, id, title, filename, content_type, size_bytes, sha256, storage_key, status, chunk_count,
        page_count, error_message, embedding_model, embedding_dimensions, ingest_progress, ingest_attempts,
        last_ingest_error, generation, metadata, created_at, updated_at, indexed_at,
        (extract(epoch FROM created_at) * 1000000)::int8 AS created_micros
        """

    /// The document as responses show it.
    var document: Metachat_V1_Document
    /// Where the original bytes are (``DocumentFileStore`` key).
    var storageKey: String
    /// The content generation (bumped by replacement and reindexing).
    var generation: Int32
    /// `created_at` in microseconds since 1970 (the page cursor).
    var createdMicros: Int64

    /// The stored status name of a status.
    static func statusName(_ status: Metachat_V1_DocumentStatus) -> String? {
        switch status {
        case .pending: "PENDING"
        case .processing: "PROCESSING"
        case .ready: "READY"
        case .failed: "FAILED"
        default: nil
        }
    }

    /// Decodes a row selected with ``columns``.
    init(_ row: PostgresRow) throws {
        var document = Metachat_V1_Document()
        document.tenantID = try row.decode("tenant_id", as: UUID.self).uuidString.lowercased()
        document.id = try row.decode("id", as: UUID.self).uuidString.lowercased()
        document.title = try row.decode("title", as: String.self)
        document.filename = try row.decode("filename", as: String.self)
        document.contentType = try row.decode("content_type", as: String.self)
        document.sizeBytes = try row.decode("size_bytes", as: Int64.self)
        document.sha256 = try row.decode("sha256", as: String.self)
        document.status =
            switch try row.decode("status", as: String.self) {
            case "PENDING": .pending
            case "PROCESSING": .processing
            case "READY": .ready
            case "FAILED": .failed
            default: .unspecified
            }
        document.chunkCount = try row.decode("chunk_count", as: Int32.self)
        document.pageCount = try row.decode("page_count", as: Int32.self)
        document.errorMessage = try row.decode("error_message", as: String.self)
        document.embeddingModel = try row.decode("embedding_model", as: String.self)
        document.embeddingDimensions = try row.decode("embedding_dimensions", as: Int32.self)
        document.ingestProgress = try row.decode("ingest_progress", as: Int32.self)
        document.ingestAttempts = try row.decode("ingest_attempts", as: Int32.self)
        document.lastIngestError = try row.decode("last_ingest_error", as: String.self)
        document.metadata = try StoredMetadata.decode(try row.decode("metadata", as: String.self))
        document.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        document.updatedAt = Google_Protobuf_Timestamp(date: try row.decode("updated_at", as: Date.self))
        if let indexed = try row.decode("indexed_at", as: Date?.self) {
            document.indexedAt = Google_Protobuf_Timestamp(date: indexed)
        }
        self.document = document
        self.storageKey = try row.decode("storage_key", as: String.self)
        self.generation = try row.decode("generation", as: Int32.self)
        self.createdMicros = try row.decode("created_micros", as: Int64.self)
    }
}
