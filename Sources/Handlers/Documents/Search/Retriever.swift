package import FoundationEssentials
package import MetaChatAPI

/// Finds the knowledge-base passages that answer a question: what the chat orchestrator calls
/// before it asks an LLM, and what SearchDocuments answers with.
///
/// The one implementation is ``DocumentRetriever`` (hybrid pgvector + full-text search in
/// PostgreSQL); tests of the orchestrator may give it their own. Every implementation must
/// return only `tenantID`'s passages, best first, at most `query.topK`, each at least
/// `query.minScore`.
///
/// ```swift
/// let retrieval = try await retriever.retrieve(
///     RetrievalQuery(text: "How do I reset my password?", topK: 5, minScore: 0.2), tenantID: tenant)
/// let citations = retrieval.passages.map(\.citation)
/// ```
package protocol Retriever: Sendable {
    /// The passages of `tenantID`'s READY documents that best match `query`.
    ///
    /// - Throws: `UNAVAILABLE` when the database is; never because the embedding service is
    ///   down (the search then runs as full text, and ``Retrieval/notice`` says so).
    func retrieve(_ query: RetrievalQuery, tenantID: UUID) async throws -> Retrieval
}

/// What a ``Retriever`` looks for.
package struct RetrievalQuery: Sendable {
    /// The question or search text (1-2000 characters).
    package var text: String
    /// Which lists to use.
    package var mode: Metachat_V1_SearchMode
    /// At most this many passages; `nil`: the tenant's `rag.top_k` (default 5).
    package var topK: Int?
    /// The least fused score a passage needs, 0...1; `nil`: the tenant's `rag.min_score`.
    package var minScore: Double?
    /// Only these documents; empty: all.
    package var documentIDs: [UUID]
    /// Only documents whose metadata holds all of these pairs.
    package var metadata: [String: String]

    /// Creates a query.
    package init(
        text: String, mode: Metachat_V1_SearchMode = .hybrid, topK: Int? = nil, minScore: Double? = nil,
        documentIDs: [UUID] = [], metadata: [String: String] = [:]
    ) {
        self.text = text
        self.mode = mode
        self.topK = topK
        self.minScore = minScore
        self.documentIDs = documentIDs
        self.metadata = metadata
    }
}

/// The answer of a ``Retriever``.
package struct Retrieval: Sendable {
    /// The passages, best first.
    package var passages: [Metachat_V1_SearchResult]
    /// The mode that ran (TEXT when no embedding service answered).
    package var mode: Metachat_V1_SearchMode
    /// The embedding model of the query vector; empty when no vector search ran. During a reindex
    /// after a tenant's model change, both models, comma-separated (the new one first).
    package var embeddingModel: String
    /// Why the search ran differently from the query; empty when it ran as asked.
    package var notice: String

    /// Creates an answer.
    package init(
        passages: [Metachat_V1_SearchResult], mode: Metachat_V1_SearchMode, embeddingModel: String, notice: String
    ) {
        self.passages = passages
        self.mode = mode
        self.embeddingModel = embeddingModel
        self.notice = notice
    }
}
