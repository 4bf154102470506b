import Foundation
import Handlers
import Logging
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("Hybrid search: vector and full text fused, filtered, isolated by tenant", .serialized)
struct DocumentSearchTests {
    static let corpus: [(title: String, text: String, team: String)] = [
        ("Passwords", "To change your account password, open Settings, choose Security and pick a new secret.", "it"),
        ("Shipping", "Parcels leave our warehouse every weekday and arrive within three working days.", "ops"),
        ("Refunds", "Money goes back to the original card within five days after we receive the return.", "ops"),
        ("Holidays", "Staff may take twenty-five days of paid leave per calendar year.", "hr"),
    ]

    /// Stores the corpus for `context`'s tenant and ingests it.
    static func seed(_ harness: DocumentTestHarness, context: ServerContext) async throws -> [String: String] {
        var ids: [String: String] = [:]
        for entry in Self.corpus {
            ids[entry.title] =
                try await harness.create(
                    entry.text, title: entry.title, metadata: ["team": entry.team], context: context
                )
                .id
        }
        try await harness.ingestAll()
        return ids
    }

    @Test("A paraphrase with no shared words is found by the vector half and by hybrid, not by full text")
    func semanticMatch() async throws {
        try await DocumentTestHarness.with { harness in
            let ids = try await Self.seed(harness, context: harness.asA)
            let question = "How can I reset my login credentials?"
            let text = try await harness.search(question, mode: .text)
            #expect(!text.results.contains { $0.citation.documentID == ids["Passwords"] })
            let vector = try await harness.search(question, mode: .vector)
            #expect(vector.results.first?.citation.documentID == ids["Passwords"])
            #expect(vector.embeddingModel == "all-MiniLM-L6-v2" && vector.mode == .vector && vector.notice.isEmpty)
            let hybrid = try await harness.search(question)
            let top = try #require(hybrid.results.first)
            #expect(top.citation.documentID == ids["Passwords"])
            #expect(top.vectorRank == 1 && top.textRank == 0)
            #expect(top.score == top.citation.score && top.score > 0 && top.score <= 1)
            #expect(top.rank == 1 && top.citation.charStart == 0 && top.citation.charEnd > 0)
            #expect(top.citation.documentTitle == "Passwords" && top.text.contains("Settings"))
            // Scores descend with rank and stay within 0...1.
            let scores = hybrid.results.map(\.score)
            #expect(scores == scores.sorted(by: >) && scores.allSatisfy { (0...1).contains($0) })
        }
    }

    @Test("Text alone matches any of the question's words; beside the vectors the text half needs every word")
    func textHalfOfHybridNeedsEveryWord() async throws {
        try await DocumentTestHarness.with { harness in
            let ids = try await Self.seed(harness, context: harness.asA)
            // "days" is in three passages; "paid", "leave" and "days" together only in Holidays.
            let question = "paid leave days"
            let text = try await harness.search(question, mode: .text)
            let textHits = Set(text.results.filter { $0.textRank > 0 }.map(\.citation.documentID))
            #expect(textHits == Set([ids["Holidays"], ids["Shipping"], ids["Refunds"]].compactMap { $0 }))
            let hybrid = try await harness.search(question)
            let ranked = hybrid.results.filter { $0.textRank > 0 }.map(\.citation.documentID)
            #expect(ranked == [ids["Holidays"]].compactMap { $0 })
            #expect(hybrid.results.first?.citation.documentID == ids["Holidays"])
        }
    }

    @Test("A passage first in both lists scores 1; minScore, topK, metadata and document filters apply")
    func scoresAndFilters() async throws {
        try await DocumentTestHarness.with { harness in
            let ids = try await Self.seed(harness, context: harness.asA)
            let both = try await harness.search("paid leave days per calendar year")
            let top = try #require(both.results.first)
            #expect(top.citation.documentID == ids["Holidays"])
            #expect(top.vectorRank == 1 && top.textRank == 1 && abs(top.score - 1) < 1e-9)
            let strict = try await harness.search("paid leave days per calendar year") {
                $0.minScore = Google_Protobuf_DoubleValue(0.99)
            }
            #expect(strict.results.map(\.citation.documentID) == [ids["Holidays"]])
            let one = try await harness.search("days", topK: 1)
            #expect(one.results.count == 1)
            let ops = try await harness.search("days") { $0.metadataFilter = ["team": "ops"] }
            #expect(!ops.results.isEmpty)
            #expect(Set(ops.results.map(\.citation.documentID)).isSubset(of: [ids["Shipping"], ids["Refunds"]]))
            let only = try await harness.search("days") { $0.documentIds = [ids["Refunds"] ?? ""] }
            #expect(only.results.map(\.citation.documentID) == [ids["Refunds"]])
        }
    }

    @Test("Without an embedder, hybrid search runs as full text and says so")
    func textFallback() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let ids = try await Self.seed(harness, context: harness.asA)
            let answer = try await harness.search("warehouse parcels")
            #expect(answer.mode == .text)
            #expect(answer.notice.contains("full-text search only"))
            #expect(answer.embeddingModel.isEmpty)
            #expect(answer.results.first?.citation.documentID == ids["Shipping"])
            #expect(answer.results.first?.vectorRank == 0)
        }
    }

    @Test("1,000 random searches by tenant B never return tenant A's chunks")
    func tenantIsolation() async throws {
        try await DocumentTestHarness.with { harness in
            let ids = Set(try await Self.seed(harness, context: harness.asA).values)
            // Tenant B has documents of its own, about the same subjects.
            var ownIDs: Set<String> = []
            for entry in Self.corpus {
                ownIDs.insert(
                    try await harness.create(
                        entry.text + " (tenant B)", title: entry.title, metadata: ["team": entry.team],
                        context: harness.asB
                    ).id)
            }
            try await harness.ingestAll()
            var generator = SystemRandomNumberGenerator()
            let words = Self.corpus.flatMap { $0.text.split(separator: " ").map(String.init) }
            var returned = 0
            for _ in 0..<1000 {
                let query = (0..<Int.random(in: 1...6, using: &generator)).map { _ in
                    words.randomElement(using: &generator) ?? "days"
                }.joined(separator: " ")
                let mode = [Metachat_V1_SearchMode.hybrid, .vector, .text].randomElement(using: &generator) ?? .hybrid
                let answer = try await harness.search(query, mode: mode, topK: 50, context: harness.asB) {
                    if Bool.random(using: &generator) { $0.minScore = Google_Protobuf_DoubleValue(0) }
                }
                for result in answer.results {
                    #expect(!ids.contains(result.citation.documentID))
                    #expect(ownIDs.contains(result.citation.documentID))
                }
                returned += answer.results.count
            }
            #expect(returned > 1000)
        }
    }

    @Test("The ingestion worker wakes on NOTIFY and brings a new document to READY")
    func workerService() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let worker = DocumentIngestionWorker(
                ingestor: harness.ingestor, pool: harness.pool, concurrency: 2, pollInterval: .seconds(3600),
                logger: Logger(label: "quiet", factory: { _ in SwiftLogNoOpLogHandler() }))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await worker.run() }
                // The worker waits on LISTEN (its poll interval is an hour): only the NOTIFY of
                // CreateDocument can wake it.
                let document = try await harness.create("Woken by a notification.")
                try await Polling.until("the document to be READY", within: .seconds(60)) {
                    try await harness.get(document.id).status == .ready
                }
                let second = try await harness.create("A second one, later.")
                try await Polling.until("the second document to be READY", within: .seconds(60)) {
                    try await harness.get(second.id).status == .ready
                }
                group.cancelAll()
            }
        }
    }
}
