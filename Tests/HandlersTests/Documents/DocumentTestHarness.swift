import AsyncHTTPClient
import Foundation
import Handlers
import Logging
import MetaChatAPI
import Monitoring
import Prometheus
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// A migrated schema with two tenants, a ``DocumentHandler`` storing files in a temporary
/// directory, and an ingestor using the real offline embedding server (`METACHAT_TEST_EMBEDDING_URL`)
/// or none.
struct DocumentTestHarness {
    let pool: PostgresPool
    let handler: DocumentHandler
    let ingestor: DocumentIngestor
    let files: DocumentFileStore
    let storage: URL
    let tenantA: String
    let tenantB: String
    /// The ingestor's metrics.
    let metrics: PrometheusCollectorRegistry
    /// Changes tenants' settings (sealing keys with ``secrets``), as TenantService does.
    let tenants: TenantHandler
    /// The envelope the tenants' stored keys are sealed with.
    static let secrets = SecretsEnvelope(current: SecretsEncryptionKey(bytes: Array(100..<132)))
    /// The offline model's name as the server's embedder records it.
    static let serverModel = "all-MiniLM-L6-v2"

    /// Runs `body` against a freshly migrated schema; `embeddings` uses the offline model server.
    static func with<R>(embeddings: Bool = true, _ body: (DocumentTestHarness) async throws -> R) async throws -> R {
        let storage = FileManager.default.temporaryDirectory.appendingPathComponent("kb-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: storage, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: storage) }
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let result = try await Self.run(embeddings: embeddings, storage: storage, http: http, body)
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private static func run<R>(
        embeddings: Bool, storage: URL, http: HTTPClient, _ body: (DocumentTestHarness) async throws -> R
    ) async throws -> R {
        // Tenants' own settings (`settings.rag.embedding`) are honoured; their base URLs reach the
        // loopback model server directly (the egress check has its own tests).
        let transport = DirectModelHTTPTransport(http: http)
        let embedders = TenantEmbedderDirectory(
            server: embeddings
                ? OpenAIEmbeddingClient.Configuration(
                    baseURL: try TestEnvironment.embeddingURL(), model: Self.serverModel)
                : nil,
            serverTransport: transport, tenantTransport: transport, secrets: Self.secrets)
        return try await Self.gate.withPlace {
            try await MigratedDatabase.with(maximumConnections: 6) { pool in
                let files = DocumentFileStore(root: storage.path)
                let logger = Logger(
                    label: "kb-test",
                    factory: {
                        ProcessInfo.processInfo.environment["METACHAT_TEST_LOGS"] == "1"
                            ? StreamLogHandler.standardError(label: $0) as any LogHandler : SwiftLogNoOpLogHandler()
                    })
                let registry = PrometheusCollectorRegistry()
                let harness = DocumentTestHarness(
                    pool: pool,
                    handler: DocumentHandler(
                        pool: pool, files: files,
                        retriever: DocumentRetriever(pool: pool, embedders: embedders, logger: logger)),
                    ingestor: DocumentIngestor(
                        pool: pool, files: files, embedders: embedders, temporaryDirectory: storage.path + "/tmp",
                        metrics: IngestionMetrics(registry: registry), logger: logger),
                    files: files,
                    storage: storage,
                    tenantA: try await ConversationTestHarness.makeTenant(pool, name: "A"),
                    tenantB: try await ConversationTestHarness.makeTenant(pool, name: "B"),
                    metrics: registry,
                    tenants: TenantHandler(pool: pool, secrets: Self.secrets))
                return try await body(harness)
            }
        }
    }

    private static let gate = AsyncGate(limit: 2)

    /// A tenant key's context.
    func tenant(_ tenantID: String) -> ServerContext {
        ConversationTestHarness.context(.tenant(tenantID: tenantID, keyID: "key-of-\(tenantID)"))
    }

    /// Tenant A's key.
    var asA: ServerContext { self.tenant(self.tenantA) }
    /// Tenant B's key.
    var asB: ServerContext { self.tenant(self.tenantB) }

    /// Creates a text document as tenant A (or `context`).
    func create(
        _ content: String, title: String = "Doc", type: String = "", metadata: [String: String] = [:],
        context: ServerContext? = nil
    ) async throws -> Metachat_V1_Document {
        var request = Metachat_V1_CreateDocumentRequest()
        request.title = title
        request.content = content
        request.contentType = type
        request.metadata = metadata
        return try await self.handler.createDocument(request: request, context: context ?? self.asA)
    }

    /// Uploads a file through UploadDocument as tenant A (or `context`), in pieces of `piece` bytes.
    func upload(
        _ bytes: [UInt8], filename: String, type: String = "", piece: Int = 64 * 1024,
        context: ServerContext? = nil, configure: (inout Metachat_V1_UploadHeader) -> Void = { _ in }
    ) async throws -> Metachat_V1_Document {
        var header = Metachat_V1_UploadHeader()
        header.filename = filename
        header.contentType = type
        header.totalSize = Int64(bytes.count)
        configure(&header)
        var messages = [Metachat_V1_UploadDocumentRequest.with { $0.header = header }]
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + piece)
            messages.append(.with { $0.chunk = Data(bytes[start..<end]) })
            start = end
        }
        return try await self.handler.uploadDocument(
            request: RPCAsyncSequence(
                wrapping: AsyncStream { continuation in
                    for message in messages { continuation.yield(message) }
                    continuation.finish()
                }), context: context ?? self.asA)
    }

    /// Runs every due ingestion job.
    func ingestAll() async throws {
        while try await self.ingestor.runNext() {}
    }

    /// A document as tenant A sees it.
    func get(_ id: String, context: ServerContext? = nil) async throws -> Metachat_V1_Document {
        try await self.handler.getDocument(
            request: .with { $0.documentID = id }, context: context ?? self.asA)
    }

    /// Every chunk of a document, in order.
    func chunks(_ id: String) async throws -> [Metachat_V1_Chunk] {
        try await self.handler.listDocumentChunks(
            request: .with {
                $0.documentID = id
                $0.pageSize = 200
            }, context: self.asA
        ).chunks
    }

    /// Searches as `context` (tenant A by default).
    func search(
        _ query: String, mode: Metachat_V1_SearchMode = .hybrid, topK: Int32 = 5, context: ServerContext? = nil,
        configure: (inout Metachat_V1_SearchDocumentsRequest) -> Void = { _ in }
    ) async throws -> Metachat_V1_SearchDocumentsResponse {
        var request = Metachat_V1_SearchDocumentsRequest()
        request.query = query
        request.mode = mode
        request.topK = topK
        configure(&request)
        return try await self.handler.searchDocuments(request: request, context: context ?? self.asA)
    }

    /// Rows in a table (all tenants).
    func count(_ table: String) async throws -> Int {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)", binds: []))[0]
                .decode("n", as: Int.self)
        }
    }

    /// Files under the storage directory (temporary ones included).
    func storedFiles() -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: self.storage.path)
        var files: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: self.storage.path + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.append(path)
            }
        }
        return files
    }
}
