package import FoundationEssentials
package import Logging
internal import MetaChatAPI
internal import RPCServer
package import Storage

/// The ``Retriever`` over PostgreSQL: a vector list (pgvector HNSW, cosine, on the chunks of the
/// query's dimension and model) and a full-text list (`ts_rank_cd` over the tenant's text search
/// configuration, any of the query's words), fused by reciprocal rank (k = 60).
///
/// The fused score is normalised to 0...1 by dividing by its largest possible value (first in
/// every list the mode uses). Both lists read only the tenant's rows (every statement names the
/// tenant, and row-level security backs that up), so one tenant's search never returns another's
/// chunks. Without an embedder, or when it fails, hybrid and vector searches run as full text and
/// ``Retrieval/notice`` says so.
package struct DocumentRetriever: Retriever {
    /// The RRF constant.
    static let rankConstant = 60.0

    let pool: PostgresPool
    let embedders: TenantEmbedderDirectory
    let logger: Logger

    /// Creates the retriever with one embedder for every tenant.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - embedder: Embeds queries (the same model as the chunks); `nil`: text search only.
    ///   - logger: Receives embedding failures.
    package init(pool: PostgresPool, embedder: (any TextEmbedder)?, logger: Logger) {
        self.init(pool: pool, embedders: TenantEmbedderDirectory(fixed: embedder), logger: logger)
    }

    /// Creates the retriever embedding each tenant's queries with its own embedder
    /// (`settings.rag.embedding`, else the server's), and while the tenant's documents are
    /// reindexed after a change, with the previous one too.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - embedders: Picks each tenant's embedders.
    ///   - logger: Receives embedding failures.
    package init(pool: PostgresPool, embedders: TenantEmbedderDirectory, logger: Logger) {
        self.pool = pool
        self.embedders = embedders
        self.logger = logger
    }

    /// One query vector and the model whose chunks it is compared with.
    struct QueryVector: Sendable {
        /// The model recorded with the chunks.
        var model: String
        /// The question's vector.
        var vector: [Float]
        /// Whether the tenant's chunks of this model and dimension are scanned exactly.
        var exact = true
    }

    package func retrieve(_ query: RetrievalQuery, tenantID: UUID) async throws -> Retrieval {
        let settings: TenantSearchSettings
        do {
            settings = try await TenantSearchSettings.load(tenantID, pool: self.pool)
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
        let topK = min(50, max(1, query.topK ?? settings.topK))
        let minScore = query.minScore ?? settings.minScore
        var mode = query.mode == .unspecified ? .hybrid : query.mode
        var notice = ""
        var vectors: [QueryVector] = []
        if mode != .text {
            let embedders = self.embedders.embedders(for: settings, tenantID: tenantID)
            if embedders.current != nil {
                // While a reindex runs, the question is embedded by both models at once: each vector
                // is compared with the chunks of its own model (docs/knowledge-base.md).
                async let newer = self.embed(query.text, with: embedders.current)
                async let older = self.embed(query.text, with: embedders.previous)
                var failure: EmbeddingError?
                for outcome in try await [newer, older] {
                    switch outcome {
                    case .success(let vector): vectors.append(vector)
                    case .failure(let error): failure = failure ?? error
                    case nil: break
                    }
                }
                if vectors.isEmpty, let failure {
                    notice = "The embedding service did not answer (\(failure.message)); full-text search only."
                }
            } else {
                notice = "No embedding service is configured; full-text search only."
            }
            if vectors.isEmpty { mode = .text }
        }
        let candidates = max(40, topK * 4)
        let text = query.text
        let documentIDs = query.documentIDs
        let metadata = query.metadata
        let language = settings.language
        let planned = vectors
        do {
            let rows = try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                var vectors = planned
                for index in vectors.indices {
                    vectors[index].exact =
                        try await Self.chunkCount(
                            tenantID: tenantID, dimension: vectors[index].vector.count, model: vectors[index].model,
                            upTo: Self.exactSearchLimit, on: connection) <= Self.exactSearchLimit
                }
                if vectors.contains(where: { !$0.exact }) {
                    // A constant: the index's candidates are filtered to the tenant afterwards, so
                    // the search looks at as many as pgvector allows.
                    _ = try await connection.query(
                        PostgresQuery(unsafeSQL: "SET LOCAL hnsw.ef_search = 1000", binds: []))
                }
                let plan = Self.query(
                    tenantID: tenantID, text: text, language: language, vectors: vectors, mode: mode,
                    candidates: candidates, topK: topK, minScore: minScore, documentIDs: documentIDs,
                    metadata: metadata)
                return try await connection.query(plan)
            }
            var passages: [Metachat_V1_SearchResult] = []
            for (index, row) in rows.enumerated() {
                var result = Metachat_V1_SearchResult()
                var citation = Metachat_V1_Citation()
                citation.documentID = try row.decode("document_id", as: UUID.self).uuidString.lowercased()
                citation.chunkID = try row.decode("id", as: UUID.self).uuidString.lowercased()
                citation.documentTitle = try row.decode("title", as: String.self)
                let text = try row.decode("text", as: String.self)
                citation.snippet = String(text.prefix(300))
                citation.score = try row.decode("fused", as: Double.self)
                citation.chunkIndex = try row.decode("chunk_index", as: Int32.self)
                citation.charStart = try row.decode("char_start", as: Int32.self)
                citation.charEnd = try row.decode("char_end", as: Int32.self)
                citation.page = try row.decode("page", as: Int32.self)
                result.citation = citation
                result.text = text
                result.score = citation.score
                result.vectorScore = try row.decode("vscore", as: Double.self)
                result.textScore = try row.decode("tscore", as: Double.self)
                result.vectorRank = Int32(try row.decode("vrank", as: Int64.self))
                result.textRank = Int32(try row.decode("trank", as: Int64.self))
                result.rank = Int32(index + 1)
                passages.append(result)
            }
            return Retrieval(
                passages: passages, mode: mode, embeddingModel: vectors.map(\.model).joined(separator: ","),
                notice: notice)
        } catch let error as PostgresError {
            if !error.isUnavailable {
                self.logger.error("document search failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            throw RPCError(storage: error)
        }
    }

    /// The question's vector from `embedder`; `nil` without an embedder. A failure of the service
    /// is logged and answered; anything else (cancellation) is thrown.
    private func embed(_ text: String, with embedder: (any TextEmbedder)?) async throws
        -> Result<QueryVector, EmbeddingError>?
    {
        guard let embedder else { return nil }
        do {
            guard let vector = try await embedder.embed([text]).first else { return nil }
            return .success(QueryVector(model: embedder.model, vector: vector))
        } catch let error as EmbeddingError {
            self.logger.warning(
                "query embedding failed", metadata: ["model": "\(embedder.model)", "error": "\(error.message)"])
            return .failure(error)
        }
    }

    /// Up to this many chunks of the query's dimension and model, a tenant's vector half is an
    /// exact scan of its own chunks (recall 1, a few milliseconds); above it, the HNSW index, whose
    /// candidates are filtered to the tenant afterwards (pgvector 0.6 has no iterative scan), with
    /// `hnsw.ef_search` at its maximum. docs/knowledge-base.md, "Recall under the tenant filter".
    static let exactSearchLimit = 20_000

    /// How many chunks of `dimension` and `model` the tenant has, counting no further than
    /// `limit + 1`.
    static func chunkCount(
        tenantID: UUID, dimension: Int, model: String, upTo limit: Int, on connection: PostgresConnection
    ) async throws -> Int {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*) AS n FROM (
                        SELECT 1 FROM document_chunks
                        WHERE tenant_id = $1 AND dimensions = $2 AND embedding_model = $3 LIMIT $4) s
                    """,
                binds: [.uuid(tenantID), .int32(Int32(dimension)), .text(model), .int64(Int64(limit + 1))]))
        return Int(try rows.first?.decode("n", as: Int64.self) ?? 0)
    }

    /// The search statement (public for plan tests and the benchmark). A vector marked `exact`
    /// reads the tenant's chunks of its model and sorts them by distance (a fence keeps the planner
    /// off the HNSW index); otherwise it walks the index. With two vectors (a reindex between two
    /// models), each ranks the chunks of its model and the vector list interleaves the two by rank.
    static func query(
        tenantID: UUID, text: String, language: String, vectors: [QueryVector], mode: Metachat_V1_SearchMode,
        candidates: Int, topK: Int, minScore: Double, documentIDs: [UUID], metadata: [String: String]
    ) -> PostgresQuery {
        var binds: [PostgresValue?] = [
            .uuid(tenantID), .text(text), .text(language), .int64(Int64(candidates)),
        ]
        let documentFilter =
            documentIDs.isEmpty
            ? nil : "{" + documentIDs.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
        binds.append(documentFilter.map(PostgresValue.unknown))  // $5
        binds.append(metadata.isEmpty ? nil : .jsonb((try? StoredMetadata.json(metadata)) ?? "{}"))  // $6
        let filters = """
             AND ($5::uuid[] IS NULL OR c.document_id = ANY($5::uuid[]))
             AND ($6::jsonb IS NULL OR c.document_id IN
                  (SELECT d.id FROM documents d WHERE d.tenant_id = $1 AND d.metadata @> $6::jsonb))
            """
        let useVector = mode != .text && !vectors.isEmpty
        let useText = mode != .vector
        var vectorList = "SELECT NULL::uuid AS id, 0::float8 AS vscore, 0::int8 AS vrank WHERE false"
        if useVector {
            var lists: [String] = []
            for entry in vectors {
                binds.append(.text(entry.model))
                let model = binds.count
                binds.append(.unknown(ChunkRow.text(entry.vector)))
                let vector = binds.count
                let dimension = entry.vector.count
                let distance = "c.embedding::vector(\(dimension)) <=> $\(vector)::vector(\(dimension))"
                let source =
                    entry.exact
                    ? """
                    (SELECT c.id, c.embedding FROM document_chunks c
                        WHERE c.tenant_id = $1 AND c.dimensions = \(dimension) AND c.embedding_model = $\(model)\(filters)
                        OFFSET 0) c
                    """
                    : """
                    document_chunks c
                    WHERE c.tenant_id = $1 AND c.dimensions = \(dimension) AND c.embedding_model = $\(model)\(filters)
                    """
                let order = entry.exact ? "dist, c.id" : distance
                lists.append(
                    """
                    SELECT id, 1 - dist AS vscore, row_number() OVER (ORDER BY dist, id) AS vrank FROM (
                        SELECT c.id, (\(distance))::float8 AS dist
                        FROM \(source)
                        ORDER BY \(order) LIMIT $4) v
                    """)
            }
            vectorList =
                lists.count == 1
                ? lists[0]
                : """
                SELECT id, vscore, vrank FROM (
                    SELECT id, vscore, row_number() OVER (ORDER BY vrank, vscore DESC, id) AS vrank
                    FROM (\(lists.map { "(\($0))" }.joined(separator: " UNION ALL "))) u) m
                WHERE vrank <= $4
                """
        }
        var textList = "SELECT NULL::uuid AS id, 0::float8 AS tscore, 0::int8 AS trank WHERE false"
        if useText {
            // Alone, the text list matches any of the question's words (all of them rarely appear
            // in one passage); beside the vector list it needs every word, so that it promotes
            // only passages that are surely about the question and does not push the vector
            // list's right answers down (docs/knowledge-base.md, "Retrieval quality").
            let query =
                useVector
                ? "nullif(plainto_tsquery($3::regconfig, $2)::text, '')::tsquery"
                : "nullif(replace(plainto_tsquery($3::regconfig, $2)::text, ' & ', ' | '), '')::tsquery"
            textList = """
                SELECT id, tscore, row_number() OVER (ORDER BY tscore DESC, id) AS trank FROM (
                    SELECT c.id, ts_rank_cd(c.search_vector, q.query)::float8 AS tscore
                    FROM document_chunks c,
                        (SELECT \(query) AS query) q
                    WHERE c.tenant_id = $1 AND q.query IS NOT NULL AND c.search_vector @@ q.query\(filters)
                    ORDER BY tscore DESC, c.id LIMIT $4) t
                """
        }
        let lists = Double((useVector ? 1 : 0) + (useText ? 1 : 0))
        let maximum = lists / (Self.rankConstant + 1)
        binds.append(.float64(maximum))
        let maximumIndex = binds.count
        binds.append(.float64(minScore))
        let minimumIndex = binds.count
        binds.append(.int64(Int64(topK)))
        let limitIndex = binds.count
        // `fused` is MATERIALIZED: a handful of rows the planner then joins to their chunks by id;
        // inlined, it joined them by scanning all of the tenant's chunks again (docs/benchmarks.md,
        // "where a search's time goes").
        let sql = """
            WITH vec AS (\(vectorList)), txt AS (\(textList)),
            fused AS MATERIALIZED (
                SELECT coalesce(vec.id, txt.id) AS id, coalesce(vec.vscore, 0) AS vscore,
                    coalesce(txt.tscore, 0) AS tscore, coalesce(vec.vrank, 0) AS vrank, coalesce(txt.trank, 0) AS trank,
                    (coalesce(1.0 / (\(Self.rankConstant) + vec.vrank), 0)
                        + coalesce(1.0 / (\(Self.rankConstant) + txt.trank), 0))::float8 / $\(maximumIndex) AS fused
                FROM vec FULL JOIN txt ON vec.id = txt.id
            )
            SELECT c.id, c.document_id, d.title, c.chunk_index, c.text, c.char_start, c.char_end, c.page,
                f.vscore, f.tscore, f.vrank, f.trank, least(1.0, f.fused)::float8 AS fused
            FROM fused f
            JOIN document_chunks c ON c.tenant_id = $1 AND c.id = f.id
            JOIN documents d ON d.tenant_id = $1 AND d.id = c.document_id
            WHERE f.fused >= $\(minimumIndex)
            ORDER BY f.fused DESC, c.id
            LIMIT $\(limitIndex)
            """
        // Assembled from the constant fragments above and integers (dimension, parameter
        // numbers); every value is a bind parameter.
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }
}
