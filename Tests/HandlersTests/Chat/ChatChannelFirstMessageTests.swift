import Foundation
import MetaChatAPI
import Testing

@testable import Handlers

/// A channel user's first messages answered at the same time (two callbacks of a new WhatsApp
/// user, two tabs of a new web chat visitor) land in one conversation.
@Suite("A new channel user's first messages at once")
struct ChatChannelFirstMessageTests {
    @Test("Six first messages of one new channel user answered at once share one conversation, created once")
    func concurrentFirstMessages() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["Hello! ", "[confidence: high]"])])
        try await ChatTestHarness.with(server: server) { harness in
            try await Self.answerAtOnce(harness)
        }
    }

    private static func answerAtOnce(_ harness: ChatTestHarness) async throws {
        let channel = UUID()
        let replies = try await withThrowingTaskGroup(of: Metachat_V1_ChatReply.self) { group in
            for index in 0..<6 {
                let input = ChatOrchestrator.Input(
                    tenantID: harness.tenantID, conversationID: nil, channelType: "WHATSAPP", channelID: channel,
                    externalUserID: "385910000001", text: "message \(index)", metadata: [:], idempotencyKey: "",
                    requestHash: "")
                group.addTask { try await harness.orchestrator.answer(input) }
            }
            return try await group.reduce(into: [Metachat_V1_ChatReply]()) { $0.append($1) }
        }
        let conversations = Set(replies.map(\.conversationID))
        let creations = replies.filter(\.conversationCreated).count
        #expect(conversations.count == 1, "every message went to the same conversation")
        #expect(creations == 1, "one of them created it")
        let stored = try await harness.messages(replies[0].conversationID)
        #expect(stored.filter { $0.role == .user }.count == 6)
    }
}
