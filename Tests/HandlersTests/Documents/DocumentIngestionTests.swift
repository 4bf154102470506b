import DocumentReaders
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

@Suite("Every type is ingested end to end; bad files fail cleanly", .serialized)
struct DocumentIngestionTests {
    @Test("Text, Markdown, HTML, PDF and DOCX become READY with chunks, offsets, pages and vectors")
    func everyType() async throws {
        try await DocumentTestHarness.with { harness in
            let text = try await harness.create("Our office opens at nine in the morning.\n\nIt closes at five.")
            let markdown = try await harness.create(
                "# Shipping\n\nParcels leave the warehouse daily.\n\n- Express: one day\n- Standard: three days\n",
                title: "Shipping", type: "text/markdown")
            let html = try await harness.create(
                "<html><body><h1>Refunds</h1><p>Refunds reach your card within five days.</p></body></html>",
                title: "Refunds", type: "text/html")
            let pdf = try await harness.upload(
                try DocumentFixtures.pdf(pages: ["Page one talks about volcanoes.", "Page two covers glaciers."]),
                filename: "earth.pdf")
            let docx = try await harness.upload(
                DocumentFixtures.docx([("Heading1", "Warranty"), (nil, "The warranty lasts two years.")]),
                filename: "warranty.docx")
            for document in [text, markdown, html, pdf, docx] {
                #expect(document.status == .pending)
            }
            try await harness.ingestAll()
            for (document, kind) in [
                (text, "text/plain"), (markdown, "text/markdown"), (html, "text/html"), (pdf, "application/pdf"),
                (docx, DocumentKind.docx.rawValue),
            ] {
                let stored = try await harness.get(document.id)
                #expect(stored.status == .ready, "\(kind): \(stored.errorMessage)")
                #expect(stored.contentType == kind)
                #expect(stored.chunkCount >= 1)
                #expect(stored.embeddingDimensions == 384)
                #expect(stored.embeddingModel == "all-MiniLM-L6-v2")
                #expect(stored.ingestProgress == 100)
                let chunks = try await harness.chunks(document.id)
                #expect(chunks.count == Int(stored.chunkCount))
                #expect(chunks.allSatisfy { $0.dimensions == 384 && $0.charEnd > $0.charStart })
            }
            let pdfStored = try await harness.get(pdf.id)
            #expect(pdfStored.pageCount == 2)
            let pdfChunks = try await harness.chunks(pdf.id)
            #expect(pdfChunks.first?.page == 1)
            let answer = try await harness.search("glaciers", mode: .text)
            #expect(answer.results.first?.citation.documentID == pdf.id)
            #expect(answer.results.first?.citation.page == 2)
        }
    }

    @Test("Bad files end FAILED with a readable error and no chunks")
    func badFiles() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let plain = try DocumentFixtures.pdf(pages: ["secret words"])
            let cases: [(String, [UInt8], String)] = [
                ("locked.pdf", try DocumentFixtures.encrypted(plain), "encrypted"),
                ("bomb.docx", DocumentFixtures.docxBomb(size: 80 << 20), "unpacks to more than"),
                ("broken.pdf", Array("%PDF-1.4\nnot really a pdf".utf8), "could not be read"),
                ("empty.docx", DocumentFixtures.docx([]), "holds no text"),
                ("notword.docx", DocumentFixtures.zip([("a.txt", Array("hi".utf8))]), "not a DOCX"),
                ("blank.txt", Array("   \n\n  ".utf8), "holds no text"),
            ]
            var ids: [(String, String)] = []
            for (name, bytes, reason) in cases {
                ids.append((try await harness.upload(bytes, filename: name).id, reason))
            }
            try await harness.ingestAll()
            for (id, reason) in ids {
                let document = try await harness.get(id)
                #expect(document.status == .failed)
                #expect(document.errorMessage.contains(reason), "\(document.errorMessage)")
                #expect(document.chunkCount == 0)
                let chunks = try await harness.chunks(id)
                #expect(chunks.isEmpty)
            }
            #expect(try await harness.count("document_chunks") == 0)
            let metrics = harness.metrics.emitToString()
            #expect(
                MetricsText.value(metrics, #"metachat_ingestion_jobs_total{outcome="failed"}"#) == Double(ids.count))
            #expect(MetricsText.value(metrics, #"metachat_ingestion_jobs_total{outcome="retry"}"#) == 0)
            #expect(MetricsText.value(metrics, #"metachat_ingestion_jobs_total{outcome="ready"}"#) == 0)
            // Permanent failures are dead-lettered after one attempt.
            #expect(try await harness.count("ingest_jobs WHERE status = 'DEAD' AND attempts = 1") == cases.count)
        }
    }

    @Test("Wrong magic numbers are refused before anything is stored")
    func wrongMagic() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            await expectRPCError(.invalidArgument, "header.contentType") {
                try await harness.upload(Array("just text".utf8), filename: "fake.pdf")
            }
            await expectRPCError(.invalidArgument, "header.contentType") {
                try await harness.upload([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3], filename: "photo.txt")
            }
            await expectRPCError(.invalidArgument, "chunk the file is empty") {
                try await harness.upload([], filename: "empty.txt")
            }
            await expectRPCError(.invalidArgument, "header.totalSize") {
                try await harness.upload([], filename: "empty.txt") { $0.totalSize = 1 }
            }
            let documents = try await harness.count("documents")
            #expect(documents == 0)
            #expect(harness.storedFiles().isEmpty)
        }
    }

    @Test("Delete removes the chunks, the jobs and the stored file")
    func deleteRemovesEverything() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let document = try await harness.upload(
                Array("Delete me soon.\n\nSecond paragraph.".utf8), filename: "a.txt")
            try await harness.ingestAll()
            #expect(try await harness.count("document_chunks") > 0)
            #expect(harness.storedFiles().count == 1)
            _ = try await harness.handler.deleteDocument(
                request: .with { $0.documentID = document.id }, context: harness.asA)
            #expect(try await harness.count("document_chunks") == 0)
            #expect(try await harness.count("ingest_jobs") == 0)
            let documents = try await harness.count("documents")
            #expect(documents == 0)
            #expect(harness.storedFiles().isEmpty)
            await expectRPCError(.notFound) { try await harness.get(document.id) }
        }
    }

    @Test("A transient embedding failure is retried with backoff, then dead-lettered")
    func transientFailuresRetry() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let registry = PrometheusCollectorRegistry()
            let unreachable = DocumentIngestor(
                pool: harness.pool, files: harness.files, embedder: UnreachableEmbedder(),
                temporaryDirectory: harness.storage.path + "/tmp", metrics: IngestionMetrics(registry: registry),
                logger: .init(
                    label: "quiet",
                    factory: { _ in
                        SwiftLogNoOpLogHandler()
                    }))
            let document = try await harness.create("Some text to embed.")
            #expect(try await unreachable.runNext())
            let waiting = try await harness.get(document.id)
            #expect(waiting.status == .pending)
            #expect(waiting.ingestAttempts == 1)
            #expect(waiting.lastIngestError.contains("could not be reached"))
            #expect(try await harness.count("outbox_events WHERE event_type = 'document.failed'") == 0)
            // Not due again until its backoff passed.
            #expect(try await unreachable.runNext() == false)
            for attempt in 2...5 {
                try await harness.pool.withAdminTransaction { connection in
                    try await connection.execute("UPDATE ingest_jobs SET run_after = now()")
                }
                #expect(try await unreachable.runNext(), "attempt \(attempt)")
            }
            let failed = try await harness.get(document.id)
            #expect(failed.status == .failed)
            #expect(failed.ingestAttempts == 5)
            #expect(try await harness.count("ingest_jobs WHERE status = 'DEAD'") == 1)
            #expect(try await harness.count("document_chunks") == 0)
            let metrics = registry.emitToString()
            #expect(MetricsText.value(metrics, #"metachat_ingestion_jobs_total{outcome="retry"}"#) == 4)
            #expect(MetricsText.value(metrics, #"metachat_ingestion_jobs_total{outcome="failed"}"#) == 1)
            #expect(MetricsText.value(metrics, #"metachat_ingestion_jobs_total{outcome="ready"}"#) == 0)
            // Only the dead letter is news for webhooks: one document.failed with the final state.
            let events = try await Self.documentEvents(harness)
            #expect(events.map(\.type) == ["document.failed"])
            #expect(events.first?.body.contains("\"id\":\"\(document.id)\"") == true)
            #expect(events.first?.body.contains("\"status\":\"DOCUMENT_STATUS_FAILED\"") == true)
            #expect(events.first?.body.contains("could not be reached") == true)
        }
    }

    @Test("Ingestion writes one document.ready per content, in the transaction that stores the chunks")
    func readyEvents() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let document = try await harness.create("Ready soon.\n\nA second paragraph to index.")
            #expect(try await Self.documentEvents(harness).isEmpty)
            try await harness.ingestAll()
            var events = try await Self.documentEvents(harness)
            #expect(events.map(\.type) == ["document.ready"])
            #expect(
                MetricsText.value(harness.metrics.emitToString(), #"metachat_ingestion_jobs_total{outcome="ready"}"#)
                    == 1)
            #expect(events.first?.body.contains("\"id\":\"\(document.id)\"") == true)
            #expect(events.first?.body.contains("\"status\":\"DOCUMENT_STATUS_READY\"") == true)
            // Running the workers again finds nothing to do and writes nothing.
            try await harness.ingestAll()
            #expect(try await Self.documentEvents(harness).count == 1)
            // A reindex is new content for the index: a second event.
            _ = try await harness.handler.reindexDocument(
                request: .with { $0.documentID = document.id }, context: harness.asA)
            try await harness.ingestAll()
            events = try await Self.documentEvents(harness)
            #expect(events.map(\.type) == ["document.ready", "document.ready"])
        }
    }

    /// The document events in the outbox, oldest first.
    static func documentEvents(_ harness: DocumentTestHarness) async throws -> [(type: String, body: String)] {
        try await harness.pool.withAdminTransaction { connection in
            try await connection.query(
                "SELECT event_type, body FROM outbox_events WHERE event_type LIKE 'document.%' ORDER BY position"
            ).map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self)) }
        }
    }
}

/// An embedder whose service never answers (a transient failure).
struct UnreachableEmbedder: TextEmbedder {
    var model: String { "unreachable" }
    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw EmbeddingError("the embedding service could not be reached", isTransient: true)
    }
}
