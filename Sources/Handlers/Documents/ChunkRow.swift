internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// Turns `document_chunks` rows into the `Chunk` clients see.
enum ChunkRow {
    /// The chunk of a row selected by ``DocumentStore/chunks(_:from:limit:embeddings:)``.
    static func chunk(_ row: PostgresRow) throws -> Metachat_V1_Chunk {
        var chunk = Metachat_V1_Chunk()
        chunk.id = try row.decode("id", as: UUID.self).uuidString.lowercased()
        chunk.documentID = try row.decode("document_id", as: UUID.self).uuidString.lowercased()
        chunk.index = try row.decode("chunk_index", as: Int32.self)
        chunk.text = try row.decode("text", as: String.self)
        chunk.tokenCount = try row.decode("token_count", as: Int32.self)
        chunk.charStart = try row.decode("char_start", as: Int32.self)
        chunk.charEnd = try row.decode("char_end", as: Int32.self)
        chunk.page = try row.decode("page", as: Int32.self)
        chunk.dimensions = try row.decode("dimensions", as: Int32.self)
        chunk.embeddingModel = try row.decode("embedding_model", as: String.self)
        chunk.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        if let text = try row.decode("embedding_text", as: String?.self) {
            chunk.embedding = Self.vector(text)
        }
        return chunk
    }

    /// The floats of pgvector's text form `[0.1,0.2,...]`.
    static func vector(_ text: String) -> [Float] {
        text.utf8.split { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") || $0 == UInt8(ascii: ",") }
            .compactMap { Float(String(decoding: $0, as: UTF8.self)) }
    }

    /// pgvector's text form of `vector`.
    static func text(_ vector: [Float]) -> String {
        "[" + vector.map { $0.isFinite ? String($0) : "0" }.joined(separator: ",") + "]"
    }
}
