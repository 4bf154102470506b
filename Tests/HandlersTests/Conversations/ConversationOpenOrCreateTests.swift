import Foundation
import MetaChatAPI
import Storage
import Testing

@testable import Handlers

@Suite("A channel user's conversation, found or created")
struct ConversationOpenOrCreateTests {
    @Test("Twenty first messages of one new user at once make one conversation; another user gets their own")
    func concurrentFirstMessagesShareOneConversation() async throws {
        try await ConversationTestHarness.with(maximumConnections: 8) { h in
            try await Self.concurrentFirstMessages(h)
        }
    }

    private static func concurrentFirstMessages(_ h: ConversationTestHarness) async throws {
        let tenant = try ConversationTestHarness.uuid(h.tenantA)
        let channel = UUID()
        let results = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let (conversation, created) = try await h.ledger.openOrCreate(
                        tenantID: tenant, channelType: "WEB_CHAT", channelID: channel, externalUserID: "visitor-1")
                    return (conversation.id, created)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let ids = Set(results.map { id, _ in id })
        let creations = results.filter { _, created in created }.count
        #expect(ids.count == 1, "every call found the same conversation")
        #expect(creations == 1, "exactly one call created it")
        let (other, otherCreated) = try await h.ledger.openOrCreate(
            tenantID: tenant, channelType: "WEB_CHAT", channelID: channel, externalUserID: "visitor-2")
        #expect(otherCreated)
        #expect(!ids.contains(other.id))
        let stored = try await h.pool.withTenantTransaction(tenantID: tenant) { connection in
            try await connection.query(
                "SELECT count(*)::int8 AS n FROM conversations WHERE tenant_id = \(tenant) AND channel_id = \(channel)"
            )[0].decode("n", as: Int64.self)
        }
        #expect(stored == 2)
        let createdEvents = h.events.committed.filter { event in
            guard case .conversationCreated(let created)? = event.payload else { return false }
            return created.conversation.channelID == channel.lowercasedString
        }
        #expect(createdEvents.count == 2, "one created event per conversation, none for the calls that found it")
    }

    @Test("A closed conversation is not reused: the next first message opens a new one")
    func closedConversationIsNotReused() async throws {
        try await ConversationTestHarness.with { h in
            try await Self.closedConversation(h)
        }
    }

    private static func closedConversation(_ h: ConversationTestHarness) async throws {
        let tenant = try ConversationTestHarness.uuid(h.tenantA)
        let channel = UUID()
        let (first, firstCreated) = try await h.ledger.openOrCreate(
            tenantID: tenant, channelType: "WEB_CHAT", channelID: channel, externalUserID: "visitor")
        let (again, againCreated) = try await h.ledger.openOrCreate(
            tenantID: tenant, channelType: "WEB_CHAT", channelID: channel, externalUserID: "visitor")
        #expect(firstCreated)
        #expect(!againCreated)
        #expect(again.id == first.id)
        let firstID = try ConversationTestHarness.uuid(first.id)
        _ = try await h.pool.withTenantTransaction(tenantID: tenant) { connection in
            try await connection.query(
                "UPDATE conversations SET status = 'CLOSED', closed_at = now() WHERE id = \(firstID)")
        }
        let (next, nextCreated) = try await h.ledger.openOrCreate(
            tenantID: tenant, channelType: "WEB_CHAT", channelID: channel, externalUserID: "visitor")
        #expect(nextCreated)
        #expect(next.id != first.id)
    }
}
