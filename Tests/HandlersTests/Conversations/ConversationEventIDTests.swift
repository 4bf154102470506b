import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("Conversation event ids", .serialized)
struct ConversationEventIDTests {
    typealias Harness = ConversationTestHarness

    @Test("Concurrent writers of one tenant get consecutive ids, and a reader never sees an id before a smaller one")
    func commitOrder() async throws {
        try await Harness.with(maximumConnections: 10) { h in
            var conversations: [String] = []
            for index in 0..<8 {
                conversations.append(try await h.create(user: "writer-\(index)").id)
            }
            let tenant = UUID(uuidString: h.tenantA)!
            let start = try await h.storedEvents(h.tenantA).count
            // Each writer's first reply assigns its agent (3 events), the other 24 add a message each.
            let expected = start + 8 * (3 + 24)
            // A reader polls the tenant's ids while 8 writers post 25 replies each.
            let reader = Task {
                var gaps: [String] = []
                var last: Int64 = Int64(start)
                while !Task.isCancelled {
                    let ids = try await h.pool.withTenantTransaction(tenantID: tenant) { connection in
                        try await connection.query(
                            "SELECT id FROM conversation_events WHERE tenant_id = \(tenant) AND id > \(last) ORDER BY id"
                        ).map { try $0.decode("id", as: Int64.self) }
                    }
                    for id in ids {
                        if id != last + 1 { gaps.append("\(last) -> \(id)") }
                        last = id
                    }
                    if last >= Int64(expected) { break }
                }
                return gaps
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (writer, conversation) in conversations.enumerated() {
                    group.addTask {
                        for reply in 0..<25 {
                            try await h.reply(conversation, text: "r\(reply)", agent: "agent-\(writer)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let gaps = try await reader.value
            #expect(gaps.isEmpty, "the reader saw a later id before an earlier one: \(gaps)")
            let ids = try await h.storedEvents(h.tenantA).compactMap { Int64($0.eventID) }
            #expect(ids == Array(1...Int64(ids.count)))
            #expect(ids.count == expected)
        }
    }
}
