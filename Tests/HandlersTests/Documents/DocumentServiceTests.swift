import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import SwiftProtobuf
import Synchronization
import Testing

@Suite("DocumentService: fields, tenants, duplicates, updates", .serialized)
struct DocumentServiceTests {
    @Test("Bad requests get INVALID_ARGUMENT naming the field, and store nothing")
    func badInput() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let cases: [(String, Metachat_V1_CreateDocumentRequest)] = [
                ("title", .with { $0.content = "x" }),
                (
                    "title",
                    .with {
                        $0.title = String(repeating: "t", count: 301)
                        $0.content = "x"
                    }
                ),
                (
                    "title",
                    .with {
                        $0.title = "   "
                        $0.content = "x"
                    }
                ),
                ("content", .with { $0.title = "t" }),
                (
                    "content",
                    .with {
                        $0.title = "t"
                        $0.content = String(repeating: "a", count: 10 * 1024 * 1024 + 1)
                    }
                ),
                (
                    "contentType",
                    .with {
                        $0.title = "t"
                        $0.content = "x"
                        $0.contentType = "image/png"
                    }
                ),
                (
                    "contentType",
                    .with {
                        $0.title = "t"
                        $0.content = "x"
                        $0.contentType = "application/pdf"
                    }
                ),
                (
                    "metadata",
                    .with {
                        $0.title = "t"
                        $0.content = "x"
                        $0.metadata = ["bad key": "v"]
                    }
                ),
                (
                    "content",
                    .with {
                        $0.title = "t"
                        $0.content = "nul\u{0}byte"
                    }
                ),
            ]
            for (field, request) in cases {
                await expectRPCError(.invalidArgument, field) {
                    try await harness.handler.createDocument(request: request, context: harness.asA)
                }
            }
            let searches: [(String, Metachat_V1_SearchDocumentsRequest)] = [
                ("query", .with { $0.query = "" }),
                ("query", .with { $0.query = String(repeating: "q", count: 2001) }),
                (
                    "topK",
                    .with {
                        $0.query = "q"
                        $0.topK = 51
                    }
                ),
                (
                    "topK",
                    .with {
                        $0.query = "q"
                        $0.topK = -1
                    }
                ),
                (
                    "minScore",
                    .with {
                        $0.query = "q"
                        $0.minScore = Google_Protobuf_DoubleValue(1.5)
                    }
                ),
                (
                    "minScore",
                    .with {
                        $0.query = "q"
                        $0.minScore = Google_Protobuf_DoubleValue(.nan)
                    }
                ),
                (
                    "documentIds[0]",
                    .with {
                        $0.query = "q"
                        $0.documentIds = ["nope"]
                    }
                ),
                (
                    "documentIds",
                    .with {
                        $0.query = "q"
                        $0.documentIds = (0..<101).map { _ in UUID().uuidString }
                    }
                ),
                (
                    "metadataFilter",
                    .with {
                        $0.query = "q"
                        $0.metadataFilter = ["k k": "v"]
                    }
                ),
                (
                    "mode",
                    .with {
                        $0.query = "q"
                        $0.mode = .UNRECOGNIZED(9)
                    }
                ),
            ]
            for (field, request) in searches {
                await expectRPCError(.invalidArgument, field) {
                    try await harness.handler.searchDocuments(request: request, context: harness.asA)
                }
            }
            await expectRPCError(.invalidArgument, "documentId") {
                try await harness.get("not-a-uuid")
            }
            await expectRPCError(.invalidArgument, "pageSize") {
                try await harness.handler.listDocuments(request: .with { $0.pageSize = -1 }, context: harness.asA)
            }
            await expectRPCError(.invalidArgument, "pageToken") {
                try await harness.handler.listDocuments(
                    request: .with { $0.pageToken = "garbage" }, context: harness.asA)
            }
            await expectRPCError(.invalidArgument, "header.filename") {
                try await harness.upload(Array("x".utf8), filename: "../etc/passwd")
            }
            await expectRPCError(.invalidArgument, "header.sha256") {
                try await harness.upload(Array("x".utf8), filename: "a.txt") {
                    $0.sha256 = String(repeating: "0", count: 64)
                }
            }
            await expectRPCError(.invalidArgument, "header.totalSize") {
                try await harness.upload(Array("abc".utf8), filename: "a.txt") { $0.totalSize = 2 }
            }
            await expectRPCError(.invalidArgument, "header.totalSize") {
                try await harness.upload(Array("abc".utf8), filename: "a.txt") { $0.totalSize = 4 }
            }
            await expectRPCError(.invalidArgument, "header.totalSize") {
                try await harness.upload(Array("abc".utf8), filename: "a.txt") { $0.totalSize = 104_857_601 }
            }
            await expectRPCError(.invalidArgument, "header.totalSize") {
                try await harness.upload(Array("abc".utf8), filename: "a.txt") { $0.totalSize = -1 }
            }
            let documents = try await harness.count("documents")
            #expect(documents == 0)
            #expect(harness.storedFiles().isEmpty)
        }
    }

    @Test("Another tenant's documents answer NOT_FOUND on every method")
    func tenantIsolation() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let document = try await harness.create("Tenant A's private text.")
            let id = document.id
            await expectRPCError(.notFound) { try await harness.get(id, context: harness.asB) }
            await expectRPCError(.notFound) {
                try await harness.handler.deleteDocument(request: .with { $0.documentID = id }, context: harness.asB)
            }
            await expectRPCError(.notFound) {
                try await harness.handler.updateDocument(
                    request: .with {
                        $0.documentID = id
                        $0.document.title = "stolen"
                    }, context: harness.asB)
            }
            await expectRPCError(.notFound) {
                try await harness.handler.listDocumentChunks(
                    request: .with { $0.documentID = id }, context: harness.asB)
            }
            let list = try await harness.handler.listDocuments(request: .init(), context: harness.asB)
            #expect(list.documents.isEmpty)
            #expect(try await harness.get(id).title == "Doc")
        }
    }

    @Test("The same content in the same tenant answers the existing document; another tenant gets its own")
    func duplicates() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let first = try await harness.create("Identical content.", title: "First")
            let again = try await harness.create("Identical content.", title: "Second")
            #expect(again.id == first.id)
            #expect(again.title == "First")
            let uploaded = try await harness.upload(Array("Identical content.".utf8), filename: "same.txt")
            #expect(uploaded.id == first.id)
            let other = try await harness.create("Identical content.", context: harness.asB)
            #expect(other.id != first.id)
            #expect(try await harness.count("documents") == 2)
            #expect(harness.storedFiles().count == 2)
        }
    }

    @Test("Update changes title and metadata, replaces content (reindexed), and refuses another's content")
    func update() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let document = try await harness.create("The first version mentions apples.")
            let other = try await harness.create("Some other text.")
            try await harness.ingestAll()
            let renamed = try await harness.handler.updateDocument(
                request: .with {
                    $0.documentID = document.id
                    $0.document.title = "Renamed"
                    $0.document.metadata = ["team": "fruit"]
                }, context: harness.asA)
            #expect(renamed.title == "Renamed" && renamed.metadata == ["team": "fruit"])
            #expect(renamed.status == .ready)
            let replaced = try await harness.handler.updateDocument(
                request: .with {
                    $0.documentID = document.id
                    $0.content = "The second version mentions oranges."
                    $0.updateMask = Google_Protobuf_FieldMask(protoPaths: ["content"])
                }, context: harness.asA)
            #expect(replaced.status == .pending)
            // Search keeps answering from the old chunks until the new ones are in.
            #expect(try await harness.search("apples", mode: .text).results.count == 1)
            try await harness.ingestAll()
            #expect(try await harness.search("apples", mode: .text).results.isEmpty)
            #expect(try await harness.search("oranges", mode: .text).results.first?.citation.documentID == document.id)
            #expect(harness.storedFiles().count == 2)
            await expectRPCError(.alreadyExists) {
                try await harness.handler.updateDocument(
                    request: .with {
                        $0.documentID = document.id
                        $0.content = "Some other text."
                    }, context: harness.asA)
            }
            _ = other
            await expectRPCError(.invalidArgument, "updateMask") {
                try await harness.handler.updateDocument(
                    request: .with {
                        $0.documentID = document.id
                        $0.updateMask = Google_Protobuf_FieldMask(protoPaths: ["status"])
                    }, context: harness.asA)
            }
            let reindexed = try await harness.handler.reindexDocument(
                request: .with { $0.documentID = document.id }, context: harness.asA)
            #expect(reindexed.status == .pending)
            await expectRPCError(.failedPrecondition) {
                try await harness.handler.reindexDocument(
                    request: .with { $0.documentID = document.id }, context: harness.asA)
            }
        }
    }

    @Test("Listing pages newest first with filters; download returns the original bytes")
    func listAndDownload() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(try await harness.create("Document number \(index).", title: "Doc \(index)").id)
            }
            var seen: [String] = []
            var token = ""
            repeat {
                let page = try await harness.handler.listDocuments(
                    request: .with {
                        $0.pageSize = 2
                        $0.pageToken = token
                    }, context: harness.asA)
                seen += page.documents.map(\.id)
                token = page.nextPageToken
            } while !token.isEmpty
            #expect(seen == ids.reversed())
            let filtered = try await harness.handler.listDocuments(
                request: .with { $0.query = "doc 3" }, context: harness.asA)
            #expect(filtered.documents.map(\.id) == [ids[3]])
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
            let pdfLike = Array("%PDF-1.4\n".utf8) + bytes
            let uploaded = try await harness.upload(pdfLike, filename: "big.pdf", piece: 100_000)
            let collected = DownloadCollector()
            try await harness.handler.downloadDocument(
                request: .with { $0.documentID = uploaded.id },
                response: RPCWriter { collected.add($0) }, context: harness.asA)
            #expect(collected.bytes == pdfLike)
            #expect(collected.messages.first?.contentType == "application/pdf")
            #expect(collected.messages.count == 1)
        }
    }

    @Test("An upload that does not announce its size (totalSize 0) is stored whole, as multipart uploads send it")
    func unannouncedSize() async throws {
        try await DocumentTestHarness.with(embeddings: false) { harness in
            let bytes = Array("%PDF-1.4\n".utf8) + (0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 241) }
            let uploaded = try await harness.upload(bytes, filename: "sized-later.pdf", piece: 70_000) {
                $0.totalSize = 0
            }
            #expect(uploaded.sizeBytes == Int64(bytes.count))
            let collected = DownloadCollector()
            try await harness.handler.downloadDocument(
                request: .with { $0.documentID = uploaded.id },
                response: RPCWriter { collected.add($0) }, context: harness.asA)
            #expect(collected.bytes == bytes)
        }
    }
}

/// Collects a DownloadDocument stream.
final class DownloadCollector: Sendable {
    private let state = Mutex<[Metachat_V1_DocumentContent]>([])

    var messages: [Metachat_V1_DocumentContent] { self.state.withLock { $0 } }
    var bytes: [UInt8] { self.messages.flatMap { Array($0.data) } }

    func add(_ message: Metachat_V1_DocumentContent) {
        self.state.withLock { $0.append(message) }
    }
}
