import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("ConversationService lifecycle", .serialized)
struct ConversationLifecycleTests {
    typealias Harness = ConversationTestHarness

    @Test("Create answers an OPEN conversation and stores its conversation_created event in the same transaction")
    func create() async throws {
        try await Harness.with { h in
            let conversation = try await h.create(title: "Order 17") {
                $0.metadata = ["plan": "gold"]
            }
            #expect(conversation.status == .open)
            #expect(conversation.channelType == .api)
            #expect(conversation.tenantID == h.tenantA)
            #expect(conversation.title == "Order 17")
            #expect(conversation.metadata == ["plan": "gold"])
            #expect(conversation.lastEventID == "1")

            let stored = try await h.storedEvents(h.tenantA)
            #expect(stored.map(\.eventID) == ["1"])
            #expect(stored.first?.conversationCreated.conversation == conversation)
            #expect(h.events.committed == stored)
            #expect(try await h.get(conversation.id) == conversation)
        }
    }

    @Test("Transitions write status_changed, escalated and assigned events with ids that only grow")
    func transitions() async throws {
        try await Harness.with { h in
            let c = try await h.create()
            var escalate = Metachat_V1_EscalateConversationRequest()
            escalate.conversationID = c.id
            escalate.reason = .requestedByUser
            escalate.note = "Wants a person.\nUrgent."
            let escalated = try await h.handler.escalateConversation(request: escalate, context: h.asA)
            #expect(escalated.status == .awaitingHuman)
            #expect(escalated.escalated && escalated.escalationReason == .requestedByUser)

            var assign = Metachat_V1_AssignConversationRequest()
            assign.conversationID = c.id
            assign.assigneeID = "ann@example.com"
            assign.actorID = "lead@example.com"
            let assigned = try await h.handler.assignConversation(request: assign, context: h.asA)
            #expect(assigned.status == .assignedToHuman && assigned.assigneeID == "ann@example.com")
            // Assigning the same agent again changes nothing and writes nothing.
            let before = try await h.storedEvents(h.tenantA).count
            #expect(try await h.handler.assignConversation(request: assign, context: h.asA) == assigned)
            #expect(try await h.storedEvents(h.tenantA).count == before)

            var unassign = Metachat_V1_UnassignConversationRequest()
            unassign.conversationID = c.id
            #expect(
                try await h.handler.unassignConversation(request: unassign, context: h.asA).status == .awaitingHuman)
            var handBack = Metachat_V1_HandBackConversationRequest()
            handBack.conversationID = c.id
            #expect(try await h.handler.handBackConversation(request: handBack, context: h.asA).status == .open)
            var resolve = Metachat_V1_ResolveConversationRequest()
            resolve.conversationID = c.id
            #expect(try await h.handler.resolveConversation(request: resolve, context: h.asA).status == .resolved)
            var close = Metachat_V1_CloseConversationRequest()
            close.conversationID = c.id
            let closed = try await h.handler.closeConversation(request: close, context: h.asA)
            #expect(closed.status == .closed && closed.hasClosedAt)
            var reopen = Metachat_V1_ReopenConversationRequest()
            reopen.conversationID = c.id
            let reopened = try await h.handler.reopenConversation(request: reopen, context: h.asA)
            #expect(reopened.status == .open && !reopened.hasClosedAt && reopened.assigneeID.isEmpty)

            let events = try await h.storedEvents(h.tenantA)
            #expect(events.map(\.eventID) == (1...events.count).map(String.init))
            #expect(reopened.lastEventID == String(events.count))
            let kinds = events.map(\.kind)
            #expect(
                kinds == [
                    .conversationCreated, .statusChanged, .escalated, .statusChanged, .assigned, .statusChanged,
                    .assigned, .statusChanged, .statusChanged, .statusChanged, .statusChanged,
                ])
            #expect(events[2].escalated.reason == .requestedByUser)
            #expect(events[2].escalated.note == "Wants a person.\nUrgent.")
            #expect(events[2].escalated.changedBy == "tenant:\(h.tenantA)")
            #expect(events[3].statusChanged.changedBy == "lead@example.com")
            #expect(events[4].assigned.assigneeID == "ann@example.com")
            #expect(events[6].assigned.previousAssigneeID == "ann@example.com" && events[6].assigned.assigneeID.isEmpty)
            #expect(h.events.committed == events)
        }
    }

    @Test("Every illegal transition is FAILED_PRECONDITION naming both states, and changes nothing")
    func illegalTransitions() async throws {
        try await Harness.with { h in
            let c = try await h.create()
            var resolve = Metachat_V1_ResolveConversationRequest()
            resolve.conversationID = c.id
            _ = try await h.handler.resolveConversation(request: resolve, context: h.asA)
            let before = try await h.get(c.id)
            let counts = try await h.tableCounts()

            var escalate = Metachat_V1_EscalateConversationRequest()
            escalate.conversationID = c.id
            escalate.reason = .manual
            await expectRPCError(.failedPrecondition, "it is RESOLVED, and that moves only OPEN to AWAITING_HUMAN") {
                try await h.handler.escalateConversation(request: escalate, context: h.asA)
            }
            var unassign = Metachat_V1_UnassignConversationRequest()
            unassign.conversationID = c.id
            await expectRPCError(.failedPrecondition, "to AWAITING_HUMAN") {
                try await h.handler.unassignConversation(request: unassign, context: h.asA)
            }
            var handBack = Metachat_V1_HandBackConversationRequest()
            handBack.conversationID = c.id
            await expectRPCError(.failedPrecondition, "it is RESOLVED") {
                try await h.handler.handBackConversation(request: handBack, context: h.asA)
            }
            await expectRPCError(.failedPrecondition, "it is RESOLVED, and that moves only OPEN, AWAITING_HUMAN") {
                try await h.handler.resolveConversation(request: resolve, context: h.asA)
            }
            var assign = Metachat_V1_AssignConversationRequest()
            assign.conversationID = c.id
            assign.assigneeID = "ann"
            await expectRPCError(.failedPrecondition, "to ASSIGNED_TO_HUMAN") {
                try await h.handler.assignConversation(request: assign, context: h.asA)
            }
            await expectRPCError(.failedPrecondition, "Cannot post an agent reply") {
                try await h.reply(c.id)
            }
            var reopen = Metachat_V1_ReopenConversationRequest()
            reopen.conversationID = c.id
            _ = try await h.handler.reopenConversation(request: reopen, context: h.asA)
            await expectRPCError(.failedPrecondition, "it is OPEN, and that moves only RESOLVED, CLOSED to OPEN") {
                try await h.handler.reopenConversation(request: reopen, context: h.asA)
            }
            var close = Metachat_V1_CloseConversationRequest()
            close.conversationID = c.id
            _ = try await h.handler.closeConversation(request: close, context: h.asA)
            await expectRPCError(.failedPrecondition, "it is CLOSED") {
                try await h.handler.closeConversation(request: close, context: h.asA)
            }
            await expectRPCError(.failedPrecondition, "Cannot add a user message") {
                try await h.userMessage(c.id, text: "hello?")
            }
            // Only the two legal transitions (reopen, close) changed anything.
            var after = try await h.tableCounts()
            #expect(after["conversation_events"] == (counts["conversation_events"] ?? 0) + 2)
            after["conversation_events"] = counts["conversation_events"]
            #expect(after == counts)
            #expect(before.status == .resolved)
        }
    }

    @Test("An agent reply takes over an OPEN conversation, is queued for its channel, and is idempotent by key")
    func agentReply() async throws {
        try await Harness.with { h in
            let channel = UUID().uuidString.lowercased()
            let c = try await h.create {
                $0.channelType = .whatsapp
                $0.channelID = channel
            }
            let reply = try await h.reply(c.id, text: "Hi,\nthis is Ann.", agent: "ann", key: "retry-1")
            #expect(reply.role == .agent && reply.authorID == "ann" && reply.deliveryStatus == .queued)
            #expect(reply.idempotencyKey == "retry-1")
            let after = try await h.get(c.id)
            #expect(after.status == .assignedToHuman && after.assigneeID == "ann" && after.messageCount == 1)
            #expect(after.hasLastMessageAt)

            let again = try await h.reply(c.id, text: "Hi,\nthis is Ann.", agent: "ann", key: "retry-1")
            #expect(again == reply)
            await expectRPCError(.alreadyExists, "idempotencyKey") {
                try await h.reply(c.id, text: "Something else", agent: "ann", key: "retry-1")
            }
            // The key may also come as the Idempotency-Key header.
            let viaHeader = try await h.reply(
                c.id, text: "Second", agent: "bob",
                context: h.tenant(h.tenantA, metadata: [("idempotency-key", "hdr-7")]))
            #expect(viaHeader.idempotencyKey == "hdr-7")
            #expect(try await h.get(c.id).assigneeID == "ann", "an assigned conversation keeps its assignee")

            let outbox = try await h.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT channel_id, message_id, status FROM channel_outbox ORDER BY id"
                ).map { (try $0.decode("channel_id", as: UUID.self), try $0.decode("message_id", as: UUID.self)) }
            }
            #expect(outbox.map(\.0) == [UUID(uuidString: channel), UUID(uuidString: channel)])
            #expect(outbox.map { $0.1.uuidString.lowercased() } == [reply.id, viaHeader.id])
            let kinds = try await h.storedEvents(h.tenantA).map(\.kind)
            #expect(kinds == [.conversationCreated, .statusChanged, .assigned, .messageCreated, .messageCreated])
            #expect(reply.eventID == "4")
        }
    }

    @Test("A conversation without a channel stores replies unqueued; attachments let the text be empty")
    func replyWithoutChannel() async throws {
        try await Harness.with { h in
            let c = try await h.create()
            var request = Metachat_V1_PostAgentReplyRequest()
            request.conversationID = c.id
            request.agentID = "ann"
            var attachment = Metachat_V1_Attachment()
            attachment.kind = .image
            attachment.mimeType = "image/png"
            attachment.storageKey = "media/1.png"
            attachment.caption = "Your receipt"
            request.attachments = [attachment]
            let reply = try await h.handler.postAgentReply(request: request, context: h.asA)
            #expect(reply.text.isEmpty && reply.attachments == [attachment] && reply.deliveryStatus == .unspecified)
            #expect(try await h.tableCounts()["channel_outbox"] == 0)
        }
    }

    @Test(
        "Producers: a user message reopens a RESOLVED conversation; a flagged answer flags it; receipts update delivery"
    )
    func producers() async throws {
        try await Harness.with { h in
            let c = try await h.create {
                $0.channelType = .messenger
                $0.channelID = UUID().uuidString.lowercased()
            }
            let tenant = UUID(uuidString: h.tenantA)!
            let conversation = UUID(uuidString: c.id)!
            var resolve = Metachat_V1_ResolveConversationRequest()
            resolve.conversationID = c.id
            _ = try await h.handler.resolveConversation(request: resolve, context: h.asA)
            var inbound = Metachat_V1_Message()
            inbound.role = .user
            inbound.authorID = "psid-1"
            inbound.externalMessageID = "mid.1"
            var location = Metachat_V1_Location()
            location.latitude = 52.52
            location.longitude = 13.405
            inbound.location = location
            let first = try await h.ledger.record(
                tenantID: tenant, conversationID: conversation, inbound, actor: "system")
            #expect(first.created && first.message.location == location && first.message.deliveryStatus == .unspecified)
            #expect(try await h.get(c.id).status == .open)
            // The channel redelivers the same message: nothing new.
            let duplicate = try await h.ledger.record(
                tenantID: tenant, conversationID: conversation, inbound, actor: "system")
            #expect(!duplicate.created && duplicate.message.id == first.message.id)

            var answer = Metachat_V1_Message()
            answer.role = .assistant
            answer.text = "It ships tomorrow."
            answer.model = "gpt-4o-mini"
            answer.confidence = 0.55
            answer.escalationAction = .suggestReview
            answer.needsReview = true
            var usage = Metachat_V1_TokenUsage()
            usage.promptTokens = 120
            usage.completionTokens = 9
            usage.totalTokens = 129
            answer.usage = usage
            answer.latency = .init(seconds: 1, nanos: 250_000_000)
            let stored = try await h.ledger.record(
                tenantID: tenant, conversationID: conversation, answer, actor: "system")
            #expect(stored.message.deliveryStatus == .queued && stored.message.usage == usage)
            #expect(stored.message.model == "gpt-4o-mini" && stored.message.escalationAction == .suggestReview)
            #expect(stored.message.latency == answer.latency && stored.message.needsReview)
            #expect(try await h.get(c.id).needsReview)

            let id = UUID(uuidString: stored.message.id)!
            _ = try await h.ledger.updateDelivery(
                tenantID: tenant, messageID: id, status: .sent, externalMessageID: "mid.2")
            let failed = try await h.ledger.updateDelivery(
                tenantID: tenant, messageID: id, status: .failed, error: "user blocked the page")
            #expect(failed.deliveryStatus == .failed && failed.deliveryError == "user blocked the page")
            #expect(failed.externalMessageID == "mid.2")

            let events = try await h.storedEvents(h.tenantA)
            #expect(
                events.map(\.kind) == [
                    .conversationCreated, .statusChanged, .statusChanged, .messageCreated, .messageCreated,
                    .conversationUpdated, .messageDeliveryUpdated, .messageDeliveryUpdated,
                ])
            #expect(events[5].conversationUpdated.changedFields == ["needs_review"])
            #expect(events[7].messageDeliveryUpdated.status == .failed)
            #expect(try await h.get(c.id).lastEventID == "8")
        }
    }

    @Test("Update changes title, metadata and the review flag; fields that keep their value write no event")
    func update() async throws {
        try await Harness.with { h in
            let c = try await h.create(title: "old")
            var request = Metachat_V1_UpdateConversationRequest()
            request.conversationID = c.id
            request.conversation.title = "new"
            request.conversation.metadata = ["k": "line one\nline two"]
            request.updateMask.paths = ["title", "metadata", "needsReview"]
            let updated = try await h.handler.updateConversation(request: request, context: h.asA)
            #expect(updated.title == "new" && updated.metadata == ["k": "line one\nline two"] && !updated.needsReview)
            let events = try await h.storedEvents(h.tenantA)
            #expect(events.last?.conversationUpdated.changedFields == ["title", "metadata"])
            #expect(try await h.handler.updateConversation(request: request, context: h.asA) == updated)
            #expect(try await h.storedEvents(h.tenantA).count == events.count)

            request.updateMask.paths = ["status"]
            await expectRPCError(.invalidArgument, "updateMask names status, which UpdateConversation does not change")
            {
                try await h.handler.updateConversation(request: request, context: h.asA)
            }
            request.updateMask.paths = ["colour"]
            await expectRPCError(.invalidArgument, "updateMask names colour, which is not a field of Conversation") {
                try await h.handler.updateConversation(request: request, context: h.asA)
            }
        }
    }

    @Test("Export streams the conversation, then every message oldest first, and is audited")
    func export() async throws {
        try await Harness.with { h in
            let c = try await h.create()
            for index in 0..<205 {
                try await h.userMessage(c.id, text: "message \(index)")
            }
            let items = ItemCollector<Metachat_V1_ConversationExportItem>()
            var request = Metachat_V1_ExportConversationRequest()
            request.conversationID = c.id
            try await h.handler.exportConversation(request: request, response: items.writer, context: h.asA)
            let exported = items.items
            #expect(exported.count == 206)
            #expect(exported.first?.conversation.id == c.id)
            #expect(exported.dropFirst().map(\.message.text) == (0..<205).map { "message \($0)" })
            #expect(try await h.audit(h.tenantA).map(\.action) == ["conversation.exported"])
        }
    }
}

/// Collects what a handler writes to a stream.
final class ItemCollector<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var collected: [Item] = []

    var items: [Item] { self.lock.withLock { self.collected } }

    var writer: RPCWriter<Item> {
        RPCWriter { item in self.lock.withLock { self.collected.append(item) } }
    }
}
