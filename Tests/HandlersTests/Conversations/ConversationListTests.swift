import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("ConversationService listings", .serialized)
struct ConversationListTests {
    typealias Harness = ConversationTestHarness

    /// Every page of a listing, in order.
    static func all(
        _ h: Harness, pageSize: Int32, configure: (inout Metachat_V1_ListConversationsRequest) -> Void = { _ in }
    ) async throws -> [Metachat_V1_Conversation] {
        var request = Metachat_V1_ListConversationsRequest()
        request.pageSize = pageSize
        configure(&request)
        var result: [Metachat_V1_Conversation] = []
        while true {
            let page = try await h.handler.listConversations(request: request, context: h.asA)
            result += page.conversations
            guard !page.nextPageToken.isEmpty else { return result }
            request.pageToken = page.nextPageToken
        }
    }

    @Test("Filters by status (several), channel, assignee, user, review flag, times and message text")
    func filters() async throws {
        try await Harness.with { h in
            let channel = UUID().uuidString.lowercased()
            let open = try await h.create(user: "alice")
            let awaiting = try await h.create(user: "bob")
            let assigned = try await h.create(user: "carol") {
                $0.channelType = .whatsapp
                $0.channelID = channel
            }
            let resolved = try await h.create(user: "alice")
            var escalate = Metachat_V1_EscalateConversationRequest()
            escalate.conversationID = awaiting.id
            escalate.reason = .keyword
            _ = try await h.handler.escalateConversation(request: escalate, context: h.asA)
            try await h.reply(assigned.id, agent: "ann")
            try await h.userMessage(open.id, text: "Where is my parcel? Order 4711.")
            try await h.userMessage(resolved.id, text: "The PARCEL arrived, thanks")
            var resolve = Metachat_V1_ResolveConversationRequest()
            resolve.conversationID = resolved.id
            _ = try await h.handler.resolveConversation(request: resolve, context: h.asA)
            var update = Metachat_V1_UpdateConversationRequest()
            update.conversationID = resolved.id
            update.conversation.needsReview = true
            _ = try await h.handler.updateConversation(request: update, context: h.asA)
            _ = try await h.create(h.asB, user: "alice")

            func ids(_ configure: (inout Metachat_V1_ListConversationsRequest) -> Void) async throws -> Set<String> {
                Set(try await Self.all(h, pageSize: 2, configure: configure).map(\.id))
            }
            #expect(try await ids { _ in } == [open.id, awaiting.id, assigned.id, resolved.id])
            #expect(try await ids { $0.status = [.awaitingHuman, .assignedToHuman] } == [awaiting.id, assigned.id])
            #expect(try await ids { $0.status = [.open] } == [open.id])
            #expect(try await ids { $0.channelType = .whatsapp } == [assigned.id])
            #expect(try await ids { $0.channelID = channel } == [assigned.id])
            #expect(try await ids { $0.assigneeID = "ann" } == [assigned.id])
            #expect(try await ids { $0.externalUserID = "alice" } == [open.id, resolved.id])
            #expect(try await ids { $0.needsReview = Google_Protobuf_BoolValue(true) } == [resolved.id])
            #expect(try await ids { $0.needsReview = Google_Protobuf_BoolValue(false) }.count == 3)
            #expect(try await ids { $0.query = "parcel" } == [open.id, resolved.id])
            #expect(try await ids { $0.query = "parcel 4711" } == [open.id])
            #expect(try await ids { $0.query = "parcels" }.isEmpty)
            let resolvedAt = try await h.get(resolved.id).updatedAt
            #expect(try await ids { $0.updatedAfter = resolvedAt } == [resolved.id])
            #expect(try await ids { $0.updatedBefore = resolvedAt }.count == 3)
            #expect(try await ids { $0.createdAfter = resolved.createdAt } == [resolved.id])
            #expect(try await ids { $0.createdBefore = open.createdAt }.isEmpty)
            // Newest change first.
            let ordered = try await Self.all(h, pageSize: 50)
            #expect(ordered.first?.id == resolved.id)
            #expect(zip(ordered, ordered.dropFirst()).allSatisfy { $0.updatedAt.date >= $1.updatedAt.date })
        }
    }

    @Test("Pages never repeat or skip a conversation while others are created; a token of other filters is refused")
    func stablePages() async throws {
        try await Harness.with(maximumConnections: 6) { h in
            var existing: [String] = []
            for index in 0..<30 {
                existing.append(try await h.create(user: "u\(index)").id)
            }
            var request = Metachat_V1_ListConversationsRequest()
            request.pageSize = 7
            var seen: [String] = []
            var created: [String] = []
            while true {
                let page = try await h.handler.listConversations(request: request, context: h.asA)
                seen += page.conversations.map(\.id)
                // New conversations arrive between pages.
                created.append(try await h.create(user: "late").id)
                guard !page.nextPageToken.isEmpty else { break }
                request.pageToken = page.nextPageToken
            }
            #expect(Set(seen).count == seen.count, "no conversation twice")
            #expect(Set(existing).isSubset(of: Set(seen)), "every conversation that existed is listed")
            #expect(Set(seen).isDisjoint(with: Set(created)), "later ones sort before the cursor")

            var other = Metachat_V1_ListConversationsRequest()
            other.pageToken = request.pageToken.isEmpty ? "x" : request.pageToken
            other.status = [.open]
            await expectRPCError(.invalidArgument, "pageToken") {
                try await h.handler.listConversations(request: other, context: h.asA)
            }
        }
    }

    @Test("Messages page by position both ways; lastEventId lets a watcher start right after the page")
    func messagePages() async throws {
        try await Harness.with { h in
            let c = try await h.create()
            for index in 0..<12 {
                try await h.userMessage(c.id, text: "m\(index)")
            }
            func texts(newestFirst: Bool) async throws -> [String] {
                var request = Metachat_V1_ListMessagesRequest()
                request.conversationID = c.id
                request.pageSize = 5
                request.newestFirst = newestFirst
                var result: [String] = []
                var lastEventID = 0
                while true {
                    let page = try await h.handler.listMessages(request: request, context: h.asA)
                    result += page.messages.map(\.text)
                    // Read before the page: at least every event of the messages on it.
                    let pageLast = Int(page.lastEventID) ?? 0
                    #expect(
                        pageLast >= lastEventID && pageLast >= (page.messages.map { Int($0.eventID) ?? 0 }.max() ?? 0))
                    lastEventID = pageLast
                    guard !page.nextPageToken.isEmpty else { return result }
                    request.pageToken = page.nextPageToken
                    try await h.userMessage(c.id, text: "late")  // more arrive while paging
                }
            }
            let oldest = try await texts(newestFirst: false)
            #expect(Array(oldest.prefix(12)) == (0..<12).map { "m\($0)" })
            #expect(oldest.dropFirst(12).allSatisfy { $0 == "late" })
            // Oldest first, the messages that arrived while paging are on later pages.
            let total = try await h.get(c.id).messageCount
            #expect(oldest.count == Int(total), "every message, the ones posted while paging included")
            let newest = try await texts(newestFirst: true)
            #expect(newest.first == "late" && Array(newest.suffix(12)) == (0..<12).reversed().map { "m\($0)" })

            var list = Metachat_V1_ListConversationsRequest()
            list.pageSize = 1
            let listed = try await h.handler.listConversations(request: list, context: h.asA)
            let stored = try await h.storedEvents(h.tenantA)
            #expect(listed.lastEventID == stored.last?.eventID)
            let empty = try await h.handler.listConversations(request: list, context: h.asB)
            #expect(empty.lastEventID.isEmpty && empty.conversations.isEmpty)
        }
    }
}
