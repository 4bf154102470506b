import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("ConversationService bad input", .serialized)
struct ConversationValidationTests {
    typealias Harness = ConversationTestHarness

    /// One bad request: the call, and the field its error must name first.
    struct Case: Sendable {
        var name: String
        var field: String
        var call: @Sendable (ConversationHandler, String, ServerContext) async throws -> Void
    }

    static func attachment(_ configure: (inout Metachat_V1_Attachment) -> Void) -> Metachat_V1_Attachment {
        var attachment = Metachat_V1_Attachment()
        attachment.kind = .image
        attachment.mimeType = "image/png"
        attachment.storageKey = "k"
        configure(&attachment)
        return attachment
    }

    static func reply(_ configure: @escaping @Sendable (inout Metachat_V1_PostAgentReplyRequest) -> Void) -> (
        @Sendable (ConversationHandler, String, ServerContext) async throws -> Void
    ) {
        { handler, id, context in
            var request = Metachat_V1_PostAgentReplyRequest()
            request.conversationID = id
            request.text = "ok"
            request.agentID = "ann"
            configure(&request)
            _ = try await handler.postAgentReply(request: request, context: context)
        }
    }

    static func createCase(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_CreateConversationRequest) -> Void
    )
        -> Case
    {
        Case(name: name, field: field) { handler, _, context in
            var request = Metachat_V1_CreateConversationRequest()
            request.externalUserID = "u"
            configure(&request)
            _ = try await handler.createConversation(request: request, context: context)
        }
    }

    static func watchCase(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_WatchConversationEventsRequest) -> Void
    ) -> Case {
        Case(name: name, field: field) { handler, _, context in
            var request = Metachat_V1_WatchConversationEventsRequest()
            configure(&request)
            try await handler.watchConversationEvents(request: request, response: RPCWriter { _ in }, context: context)
        }
    }

    static func listCase(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_ListConversationsRequest) -> Void
    )
        -> Case
    {
        Case(name: name, field: field) { handler, _, context in
            var request = Metachat_V1_ListConversationsRequest()
            configure(&request)
            _ = try await handler.listConversations(request: request, context: context)
        }
    }

    static let cases: [Case] = [
        createCase("missing user", "externalUserId") { $0.externalUserID = "" },
        createCase("blank user", "externalUserId") { $0.externalUserID = "   " },
        createCase("long user", "externalUserId") { $0.externalUserID = String(repeating: "u", count: 257) },
        createCase("NUL in user", "externalUserId") { $0.externalUserID = "a\u{0}b" },
        createCase("long title", "title") { $0.title = String(repeating: "t", count: 201) },
        createCase("line break in title", "title") { $0.title = "a\nb" },
        createCase("bad metadata key", "metadata") { $0.metadata = ["a b": "x"] },
        createCase("escape in metadata value", "metadata.k") { $0.metadata = ["k": "\u{1B}[31m"] },
        createCase("bad channel id", "channelId") {
            $0.channelID = "nope"
            $0.channelType = .whatsapp
        },
        createCase("channel without type", "channelType") { $0.channelID = UUID().uuidString },
        createCase("API channel", "channelType") {
            $0.channelID = UUID().uuidString
            $0.channelType = .api
        },
        createCase("unknown channel type", "channelType") { $0.channelType = .UNRECOGNIZED(9) },
        Case(name: "get: not a uuid", field: "conversationId") { handler, _, context in
            var request = Metachat_V1_GetConversationRequest()
            request.conversationID = "123"
            _ = try await handler.getConversation(request: request, context: context)
        },
        Case(name: "get: empty id", field: "conversationId") { handler, _, context in
            _ = try await handler.getConversation(request: .init(), context: context)
        },
        listCase("negative page size", "pageSize") { $0.pageSize = -1 },
        listCase("garbage page token", "pageToken") { $0.pageToken = "!!!" },
        listCase("six statuses", "status") { $0.status = [.open, .open, .open, .open, .open, .open] },
        listCase("unknown status", "status[0]") { $0.status = [.UNRECOGNIZED(42)] },
        listCase("query without words", "query") { $0.query = "?!" },
        listCase("long query", "query") { $0.query = String(repeating: "q", count: 201) },
        listCase("tab in query", "query") { $0.query = "a\tb" },
        listCase("bad channel", "channelId") { $0.channelID = "x" },
        listCase("timestamp beyond 9999", "createdAfter") {
            $0.createdAfter = .init(seconds: 300_000_000_000, nanos: 0)
        },
        listCase("negative nanos", "updatedBefore") { $0.updatedBefore = .init(seconds: 0, nanos: -1) },
        Case(name: "update: no mask, no field", field: "updateMask") { handler, id, context in
            var request = Metachat_V1_UpdateConversationRequest()
            request.conversationID = id
            _ = try await handler.updateConversation(request: request, context: context)
        },
        Case(name: "update: long title", field: "title") { handler, id, context in
            var request = Metachat_V1_UpdateConversationRequest()
            request.conversationID = id
            request.conversation.title = String(repeating: "x", count: 201)
            _ = try await handler.updateConversation(request: request, context: context)
        },
        Case(name: "update: 33 metadata entries", field: "metadata") { handler, id, context in
            var request = Metachat_V1_UpdateConversationRequest()
            request.conversationID = id
            request.conversation.metadata = Dictionary(uniqueKeysWithValues: (0..<33).map { ("k\($0)", "v") })
            request.updateMask.paths = ["metadata"]
            _ = try await handler.updateConversation(request: request, context: context)
        },
        Case(name: "update: NUL in title", field: "title") { handler, id, context in
            var request = Metachat_V1_UpdateConversationRequest()
            request.conversationID = id
            request.conversation.title = "\u{0}"
            request.updateMask.paths = ["title"]
            _ = try await handler.updateConversation(request: request, context: context)
        },
        Case(name: "escalate: no reason", field: "reason") { handler, id, context in
            var request = Metachat_V1_EscalateConversationRequest()
            request.conversationID = id
            _ = try await handler.escalateConversation(request: request, context: context)
        },
        Case(name: "escalate: long note", field: "note") { handler, id, context in
            var request = Metachat_V1_EscalateConversationRequest()
            request.conversationID = id
            request.reason = .manual
            request.note = String(repeating: "n", count: 1001)
            _ = try await handler.escalateConversation(request: request, context: context)
        },
        Case(name: "escalate: confidence above 1", field: "confidence") { handler, id, context in
            var request = Metachat_V1_EscalateConversationRequest()
            request.conversationID = id
            request.reason = .lowConfidence
            request.confidence = 1.5
            _ = try await handler.escalateConversation(request: request, context: context)
        },
        Case(name: "escalate: NaN confidence", field: "confidence") { handler, id, context in
            var request = Metachat_V1_EscalateConversationRequest()
            request.conversationID = id
            request.reason = .lowConfidence
            request.confidence = .nan
            _ = try await handler.escalateConversation(request: request, context: context)
        },
        Case(name: "escalate: message of no conversation", field: "messageId") { handler, id, context in
            var request = Metachat_V1_EscalateConversationRequest()
            request.conversationID = id
            request.reason = .manual
            request.messageID = UUID().uuidString
            _ = try await handler.escalateConversation(request: request, context: context)
        },
        Case(name: "escalate: long actor", field: "actorId") { handler, id, context in
            var request = Metachat_V1_EscalateConversationRequest()
            request.conversationID = id
            request.reason = .manual
            request.actorID = String(repeating: "a", count: 257)
            _ = try await handler.escalateConversation(request: request, context: context)
        },
        Case(name: "assign: no assignee", field: "assigneeId") { handler, id, context in
            var request = Metachat_V1_AssignConversationRequest()
            request.conversationID = id
            _ = try await handler.assignConversation(request: request, context: context)
        },
        Case(name: "resolve: DEL in actor", field: "actorId") { handler, id, context in
            var request = Metachat_V1_ResolveConversationRequest()
            request.conversationID = id
            request.actorID = "a\u{7F}"
            _ = try await handler.resolveConversation(request: request, context: context)
        },
        Case(name: "messages: negative page size", field: "pageSize") { handler, id, context in
            var request = Metachat_V1_ListMessagesRequest()
            request.conversationID = id
            request.pageSize = -5
            _ = try await handler.listMessages(request: request, context: context)
        },
        Case(name: "messages: token of the other direction", field: "pageToken") { handler, id, context in
            var request = Metachat_V1_ListMessagesRequest()
            request.conversationID = id
            request.pageToken = "eyJmIjoieCIsInAiOjF9"
            _ = try await handler.listMessages(request: request, context: context)
        },
        watchCase("watch: letters as event id", "afterEventId") { $0.afterEventID = "abc" },
        watchCase("watch: negative event id", "afterEventId") { $0.afterEventID = "-1" },
        watchCase("watch: event id beyond int64", "afterEventId") { $0.afterEventID = "99999999999999999999" },
        watchCase("watch: bad conversation", "conversationId") { $0.conversationID = "x" },
        watchCase("watch: unspecified kind", "kinds[0]") { $0.kinds = [.unspecified] },
        watchCase("watch: unknown kind", "kinds[1]") { $0.kinds = [.typing, .UNRECOGNIZED(77)] },
        watchCase("watch: eleven kinds", "kinds") { $0.kinds = Array(repeating: .typing, count: 11) },
        Case(name: "reply: empty text", field: "text", call: reply { $0.text = "" }),
        Case(name: "reply: blank text", field: "text", call: reply { $0.text = " \n " }),
        Case(name: "reply: long text", field: "text", call: reply { $0.text = String(repeating: "é", count: 8001) }),
        Case(name: "reply: bell in text", field: "text", call: reply { $0.text = "ding\u{07}" }),
        Case(name: "reply: no agent", field: "agentId", call: reply { $0.agentID = "" }),
        Case(
            name: "reply: long key", field: "idempotencyKey",
            call: reply { $0.idempotencyKey = String(repeating: "k", count: 129) }),
        Case(
            name: "reply: eleven attachments", field: "attachments",
            call: reply { $0.attachments = Array(repeating: attachment { _ in }, count: 11) }),
        Case(
            name: "reply: attachment kind", field: "attachments[0].kind",
            call: reply { $0.attachments = [attachment { $0.kind = .unspecified }] }),
        Case(
            name: "reply: attachment mime", field: "attachments[0].mimeType",
            call: reply { $0.attachments = [attachment { $0.mimeType = "png" }] }),
        Case(
            name: "reply: attachment size", field: "attachments[0].sizeBytes",
            call: reply { $0.attachments = [attachment { $0.sizeBytes = -1 }] }),
        Case(
            name: "reply: attachment reference", field: "attachments[0]",
            call: reply { $0.attachments = [attachment { $0.storageKey = "" }] }),
        Case(
            name: "reply: caption NUL", field: "attachments[0].caption",
            call: reply { $0.attachments = [attachment { $0.caption = "\u{0}" }] }),
        Case(
            name: "reply: metadata value too long", field: "metadata.k",
            call: reply { $0.metadata = ["k": String(repeating: "v", count: 513)] }),
    ]

    @Test("Each bad request is INVALID_ARGUMENT naming its field, and changes nothing")
    func badInput() async throws {
        try await Harness.with { h in
            let c = try await h.create(title: "keep")
            try await h.reply(c.id, key: "first")
            let before = try await h.get(c.id)
            let counts = try await h.tableCounts()
            for testCase in Self.cases {
                do {
                    try await testCase.call(h.handler, c.id, h.asA)
                    Issue.record("\(testCase.name): accepted")
                } catch let error as RPCError {
                    #expect(error.code == .invalidArgument, "\(testCase.name): \(error.code) \(error.message)")
                    #expect(
                        error.message.hasPrefix(testCase.field + " "), "\(testCase.name): \(error.message)")
                }
            }
            #expect(try await h.get(c.id) == before)
            #expect(try await h.tableCounts() == counts)
        }
    }

    @Test("The Idempotency-Key header is checked like the field and named as the header")
    func idempotencyHeader() async throws {
        try await Harness.with { h in
            let c = try await h.create()
            await expectRPCError(.invalidArgument, "Idempotency-Key must be 1 to 128 characters long") {
                try await h.reply(
                    c.id,
                    context: h.tenant(h.tenantA, metadata: [("idempotency-key", String(repeating: "k", count: 200))]))
            }
        }
    }
}
