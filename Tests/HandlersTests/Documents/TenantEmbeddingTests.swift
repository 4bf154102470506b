import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// A tenant's own embedder (`settings.rag.embedding`) and the background reindex when it changes.
///
/// The offline model server answers every model name with the same weights and the client records
/// the name it asked for, so "minilm-alias" stands for a second model whose vectors happen to be
/// comparable; what the tests check is which name each chunk carries and which vectors a search
/// compares.
@Suite("A tenant's own embedder, and the reindex when it changes", .serialized)
struct TenantEmbeddingTests {
    static let alias = "minilm-alias"
    static let tenantKey = "sk-tenant-embedding-0123456789"
    static let question = "How can I reset my login credentials?"

    /// Changes the named `settings.rag.embedding` fields of `tenantID` through TenantService.
    static func setEmbedding(
        _ harness: DocumentTestHarness, tenant tenantID: String, paths: [String],
        _ change: (inout Metachat_V1_EmbeddingSettings) -> Void
    ) async throws {
        var request = Metachat_V1_UpdateTenantRequest()
        request.tenantID = tenantID
        change(&request.tenant.settings.rag.embedding)
        request.updateMask.paths = paths.map { "settings.rag.embedding.\($0)" }
        let updated = try await harness.tenants.updateTenant(request: request, context: harness.tenant(tenantID))
        #expect(updated.settings.rag.embedding.apiKey.isEmpty)
    }

    /// The ingest jobs of tenant A still waiting.
    static func pendingJobs(_ harness: DocumentTestHarness) async throws -> Int {
        try await harness.pool.withAdminTransaction { connection in
            try await connection.query(
                "SELECT count(*) AS n FROM ingest_jobs WHERE tenant_id = \(UUID(uuidString: harness.tenantA)) AND status = 'PENDING'"
            )[0].decode("n", as: Int.self)
        }
    }

    /// Whether tenant A keeps a previous embedder.
    static func hasPreviousEmbedder(_ harness: DocumentTestHarness) async throws -> Bool {
        try await harness.pool.withAdminTransaction { connection in
            try await connection.query(
                "SELECT previous_embedding IS NOT NULL AS kept FROM tenants WHERE id = \(UUID(uuidString: harness.tenantA))"
            )[0].decode("kept", as: Bool.self)
        }
    }

    @Test("A tenant's own model and base URL embed its chunks and its questions; other tenants keep the server's")
    func ownModelTagsChunks() async throws {
        try await DocumentTestHarness.with { harness in
            try await Self.setEmbedding(harness, tenant: harness.tenantA, paths: ["model", "base_url", "api_key"]) {
                $0.model = Self.alias
                // The model server under another spelling of its URL, so that it is the tenant's own.
                $0.baseURL = ((try? TestEnvironment.embeddingURL()) ?? "") + "/"
                $0.apiKey = Self.tenantKey
            }
            let ids = try await DocumentSearchTests.seed(harness, context: harness.asA)
            let other = try await harness.create(DocumentSearchTests.corpus[0].text, context: harness.asB)
            try await harness.ingestAll()
            for id in ids.values {
                let chunks = try await harness.chunks(id)
                #expect(!chunks.isEmpty)
                #expect(chunks.allSatisfy { $0.embeddingModel == Self.alias && $0.dimensions == 384 })
                #expect(try await harness.get(id).embeddingModel == Self.alias)
            }
            #expect(
                try await harness.get(other.id, context: harness.asB).embeddingModel == DocumentTestHarness.serverModel)
            let found = try await harness.search(Self.question, mode: .vector)
            #expect(found.mode == .vector)
            #expect(found.embeddingModel == Self.alias)
            #expect(found.results.first?.citation.documentID == ids["Passwords"])
            let foundByB = try await harness.search(Self.question, mode: .vector, context: harness.asB)
            #expect(foundByB.embeddingModel == DocumentTestHarness.serverModel)
            #expect(foundByB.results.map(\.citation.documentID) == [other.id])
        }
    }

    @Test("A tenant's dimensions are asked of its service, and the vectors are stored at that size")
    func ownDimensions() async throws {
        let server = try await ScriptedEmbeddingServer([.vectors(dimensions: 8)])
        do {
            try await DocumentTestHarness.with { harness in
                try await Self.setEmbedding(
                    harness, tenant: harness.tenantA, paths: ["provider", "model", "base_url", "dimensions", "api_key"]
                ) {
                    $0.provider = .openaiCompatible
                    $0.model = "tiny-8"
                    $0.baseURL = server.baseURL
                    $0.dimensions = 8
                    $0.apiKey = Self.tenantKey
                }
                let document = try await harness.create("A short passage about parcels.")
                try await harness.ingestAll()
                let chunks = try await harness.chunks(document.id)
                #expect(!chunks.isEmpty)
                #expect(chunks.allSatisfy { $0.embeddingModel == "tiny-8" && $0.dimensions == 8 })
                let body = try #require(server.bodies.first)
                let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                #expect(json["model"] as? String == "tiny-8")
                #expect(json["dimensions"] as? Int == 8)
            }
            try await server.close()
        } catch {
            try? await server.close()
            throw error
        }
    }

    @Test(
        "Changing the model reindexes every document in the background; searches answer from the old vectors meanwhile")
    func modelChangeReindexes() async throws {
        try await DocumentTestHarness.with { harness in
            let ids = try await DocumentSearchTests.seed(harness, context: harness.asA)
            for id in ids.values {
                #expect(
                    try await harness.chunks(id).allSatisfy { $0.embeddingModel == DocumentTestHarness.serverModel })
            }
            #expect(try await Self.pendingJobs(harness) == 0)

            // A new key alone leaves the vectors alone.
            try await Self.setEmbedding(harness, tenant: harness.tenantA, paths: ["api_key"]) {
                $0.apiKey = Self.tenantKey
            }
            #expect(try await Self.pendingJobs(harness) == 0)
            #expect(try await !Self.hasPreviousEmbedder(harness))

            try await Self.setEmbedding(harness, tenant: harness.tenantA, paths: ["model"]) { $0.model = Self.alias }
            #expect(try await Self.pendingJobs(harness) == ids.count)
            #expect(try await Self.hasPreviousEmbedder(harness))
            // The key in use is kept with the previous embedder, sealed for its own column.
            let previousKey = try await harness.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT previous_embedding_api_key AS k FROM tenants WHERE id = \(UUID(uuidString: harness.tenantA))"
                )[0].decode("k", as: String?.self)
            }
            let sealed = try #require(previousKey)
            #expect(
                try DocumentTestHarness.secrets.open(
                    sealed,
                    context: SecretContext(
                        table: "tenants", column: "previous_embedding_api_key", rowID: harness.tenantA))
                    == Self.tenantKey)
            for id in ids.values {
                #expect(try await harness.get(id).status == .pending)
            }

            // Nothing reindexed yet: only the old vectors exist, and the question is embedded for them.
            let before = try await harness.search(Self.question, mode: .vector)
            #expect(before.mode == .vector)
            #expect(before.results.first?.citation.documentID == ids["Passwords"])
            #expect(before.embeddingModel.split(separator: ",").contains { $0 == DocumentTestHarness.serverModel })

            // Half way: some documents on each model; every document is still found by vector.
            #expect(try await harness.ingestor.runNext())
            #expect(try await harness.ingestor.runNext())
            var models = Set<String>()
            for id in ids.values {
                models.formUnion(try await harness.chunks(id).map(\.embeddingModel))
            }
            #expect(models == [DocumentTestHarness.serverModel, Self.alias])
            let during = try await harness.search(Self.question, mode: .vector)
            #expect(during.results.first?.citation.documentID == ids["Passwords"])
            let allFound = try await harness.search(Self.question, mode: .vector, topK: 50)
            #expect(Set(allFound.results.map(\.citation.documentID)) == Set(ids.values))
            #expect(try await Self.hasPreviousEmbedder(harness))

            try await harness.ingestAll()
            for id in ids.values {
                #expect(try await harness.get(id).status == .ready)
                #expect(try await harness.chunks(id).allSatisfy { $0.embeddingModel == Self.alias })
            }
            #expect(try await !Self.hasPreviousEmbedder(harness))
            let after = try await harness.search(Self.question, mode: .vector)
            #expect(after.embeddingModel == Self.alias)
            #expect(after.results.first?.citation.documentID == ids["Passwords"])
        }
    }

    @Test("A change while documents are still being ingested supersedes their jobs: no chunks of the old model remain")
    func changeDuringIngestion() async throws {
        try await DocumentTestHarness.with { harness in
            let document = try await harness.create(DocumentSearchTests.corpus[0].text)
            #expect(try await Self.pendingJobs(harness) == 1)
            try await Self.setEmbedding(harness, tenant: harness.tenantA, paths: ["model"]) { $0.model = Self.alias }
            // The superseded job and the new one.
            #expect(try await Self.pendingJobs(harness) == 2)
            try await harness.ingestAll()
            #expect(try await harness.get(document.id).status == .ready)
            #expect(try await harness.chunks(document.id).allSatisfy { $0.embeddingModel == Self.alias })
            #expect(try await !Self.hasPreviousEmbedder(harness))
        }
    }

    @Test(
        "Concurrent model changes serialise on the tenant's row: after the jobs every chunk carries the model saved last"
    )
    func concurrentChanges() async throws {
        try await DocumentTestHarness.with { harness in
            let ids = try await DocumentSearchTests.seed(harness, context: harness.asA)
            let chunksBefore = try await harness.count("document_chunks")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for model in ["minilm-one", "minilm-two", "minilm-three", "minilm-four"] {
                    group.addTask {
                        try await Self.setEmbedding(harness, tenant: harness.tenantA, paths: ["model"]) {
                            $0.model = model
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await harness.ingestAll()
            let saved = try await harness.tenants.getTenant(
                request: .with { $0.tenantID = harness.tenantA }, context: harness.asA
            ).settings.rag.embedding.model
            for id in ids.values {
                #expect(try await harness.get(id).status == .ready)
                #expect(try await harness.chunks(id).allSatisfy { $0.embeddingModel == saved })
            }
            #expect(try await harness.count("document_chunks") == chunksBefore)
            #expect(try await Self.pendingJobs(harness) == 0)
            #expect(try await !Self.hasPreviousEmbedder(harness))
        }
    }

    /// Answers loopback for any name (the tests' base URLs name IP addresses, which are not resolved).
    private struct LoopbackResolver: HostResolver {
        func addresses(of host: String) async throws -> [ClientAddress] {
            [ClientAddress("127.0.0.1")].compactMap { $0 }
        }
    }

    @Test("A tenant's embedding base URL passes the egress guard at every connection: loopback refused, nothing sent")
    func egressAtConnect() async throws {
        let server = try await ScriptedEmbeddingServer([.vectors(dimensions: 8)])
        do {
            try await DocumentTestHarness.with(embeddings: false) { harness in
                let tenantID = try #require(UUID(uuidString: harness.tenantA))
                // Stored without the save-time check, as a URL whose name resolves elsewhere since.
                _ = try await harness.pool.withAdminTransaction { connection in
                    try await connection.execute(
                        PostgresQuery(
                            unsafeSQL: """
                                UPDATE tenants SET settings = jsonb_build_object('rag', jsonb_build_object(
                                    'embedding', jsonb_build_object('baseUrl', $2::text, 'model', 'tiny-8')))
                                WHERE id = $1
                                """,
                            binds: [.uuid(tenantID), .text(server.baseURL)]))
                }
                for (policy, allowed) in [
                    (EgressPolicy(), false),
                    (EgressPolicy(allowedNetworks: [IPNetwork("127.0.0.0/8")].compactMap { $0 }), true),
                ] {
                    let client = OutboundHTTPClient(policy: policy, resolver: LoopbackResolver())
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await client.run() }
                        defer { group.cancelAll() }
                        let directory = TenantEmbedderDirectory(
                            server: nil, serverTransport: client, tenantTransport: client,
                            secrets: DocumentTestHarness.secrets)
                        let embedder = try #require(
                            try await directory.embedders(for: tenantID, pool: harness.pool).current)
                        #expect(embedder.model == "tiny-8")
                        if allowed {
                            #expect(try await embedder.embed(["a passage"]).map(\.count) == [8])
                        } else {
                            await #expect(throws: EmbeddingError.self) { try await embedder.embed(["a passage"]) }
                            do {
                                _ = try await embedder.embed(["a passage"])
                            } catch let error as EmbeddingError {
                                #expect(!error.isTransient)
                                #expect(error.message.contains("127.0.0.1"))
                            }
                            #expect(server.bodies.isEmpty)
                        }
                    }
                }
                #expect(server.bodies.count == 1)
            }
            try await server.close()
        } catch {
            try? await server.close()
            throw error
        }
    }
}
