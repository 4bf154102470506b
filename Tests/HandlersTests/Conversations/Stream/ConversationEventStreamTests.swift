import Foundation
import MetaChatAPI
import RPCServer
import Storage
import Testing

@testable import Handlers

@Suite("Conversation event stream", .serialized)
struct ConversationEventStreamTests {
    typealias Harness = StreamTestHarness

    static func ids(_ events: [Metachat_V1_ConversationEvent]) -> [Int64] {
        events.compactMap(\.sequenceNumber)
    }

    @Test("A watcher on node B gets node A's events in order, replaying after_event_id first, each once")
    func crossNode() async throws {
        try await Harness.with { h in
            let (a, b) = (h.nodes[0], h.nodes[1])
            let conversation = try await h.conversation(h.tenantA, on: a)
            for index in 0..<20 {
                try await h.message(h.tenantA, conversation, "before \(index)", on: a)
            }
            let watcher = WatchRecorder.start(b.hub, tenant: h.tenantA, after: 5)
            for index in 0..<80 {
                try await h.message(h.tenantA, conversation, "live \(index)", on: a)
            }
            try await watcher.waitForDurable(101 - 5)
            let stored = try await h.stored(h.tenantA)
            #expect(Self.ids(watcher.durable) == Array(6...101))
            #expect(watcher.durable == Array(stored.dropFirst(5)))
            await watcher.cancel()
            #expect(b.hub.watcherCount == 0)
        }
    }

    @Test("A client that drops at any point and resumes on the other node misses nothing and gets nothing twice")
    func resumeElsewhere() async throws {
        try await Harness.with { h in
            let (a, b) = (h.nodes[0], h.nodes[1])
            let conversation = try await h.conversation(h.tenantA, on: a)
            let first = WatchRecorder.start(b.hub, tenant: h.tenantA, after: 0)
            let producer = Task {
                for index in 0..<200 {
                    try await h.message(h.tenantA, conversation, "m\(index)", on: index.isMultiple(of: 2) ? a : b)
                }
            }
            try await first.waitForDurable(37)
            await first.cancel()
            let resumeAfter = try #require(first.durable.last?.sequenceNumber)
            let second = WatchRecorder.start(a.hub, tenant: h.tenantA, after: resumeAfter)
            try await producer.value
            try await second.waitForDurable(201 - Int(resumeAfter))
            let all = Self.ids(first.durable) + Self.ids(second.durable)
            #expect(all == Array(1...201))
            await second.cancel()
        }
    }

    @Test("An announcement that never came is filled from PostgreSQL when a later one arrives, in order")
    func gapFill() async throws {
        try await Harness.with { h in
            let (a, b) = (h.nodes[0], h.nodes[1])
            let conversation = try await h.conversation(h.tenantA, on: a)
            let watcher = WatchRecorder.start(b.hub, tenant: h.tenantA, after: nil)
            try await Polling.until("the watcher registered", within: .seconds(10)) { b.hub.watcherCount == 1 }
            // A producer that crashed between commit and announcement: the events exist only in PostgreSQL.
            let silent = ConversationLedger(pool: h.pool)
            var message = Metachat_V1_Message()
            message.role = .user
            message.text = "never announced"
            _ = try await silent.record(tenantID: h.tenantA, conversationID: conversation, message, actor: "t")
            try await h.message(h.tenantA, conversation, "announced", on: a)
            try await watcher.waitForDurable(2)
            #expect(watcher.durable.map(\.messageCreated.message.text) == ["never announced", "announced"])
            #expect(Self.ids(watcher.durable) == [2, 3])
            await watcher.cancel()
        }
    }

    @Test(
        "Filters: one conversation, some kinds; live-only events arrive live and are never replayed; tenants stay apart"
    )
    func filters() async throws {
        try await Harness.with { h in
            let (a, b) = (h.nodes[0], h.nodes[1])
            let one = try await h.conversation(h.tenantA, on: a)
            let other = try await h.conversation(h.tenantA, on: a)
            let foreign = try await h.conversation(h.tenantB, on: a)
            let onlyOne = WatchRecorder.start(
                b.hub, tenant: h.tenantA, filter: .init(conversationID: one.uuidString.lowercased()), after: 0)
            let onlyMessages = WatchRecorder.start(
                b.hub, tenant: h.tenantA, filter: .init(kinds: [.messageCreated]), after: 0)
            let tenantB = WatchRecorder.start(b.hub, tenant: h.tenantB, after: 0)
            try await Polling.until("three watchers", within: .seconds(10)) { b.hub.watcherCount == 3 }
            try await h.message(h.tenantA, one, "to one", on: a)
            try await h.message(h.tenantA, other, "to other", on: a)
            try await h.message(h.tenantB, foreign, "B's", on: a)
            var delta = Metachat_V1_ConversationEvent.ReplyDelta()
            delta.messageID = UUID().uuidString.lowercased()
            delta.textDelta = "Hel"
            await a.hub.live(
                Metachat_V1_ConversationEvent(
                    id: nil, tenantID: h.tenantA.uuidString.lowercased(), conversationID: one.uuidString.lowercased(),
                    payload: .replyDelta(delta)),
                tenantID: h.tenantA)
            try await h.message(h.tenantA, one, "after the delta", on: a)

            try await onlyOne.waitForDurable(3)
            try await Polling.until("the delta", within: .seconds(10)) { onlyOne.events.count == 4 }
            #expect(
                onlyOne.events.map(\.kind) == [.conversationCreated, .messageCreated, .replyDelta, .messageCreated])
            #expect(onlyOne.events.allSatisfy { $0.conversationID == one.uuidString.lowercased() })
            try await onlyMessages.waitForDurable(3)
            #expect(
                onlyMessages.durable.map(\.messageCreated.message.text) == ["to one", "to other", "after the delta"])
            try await tenantB.waitForDurable(2)
            #expect(tenantB.events.map(\.tenantID).allSatisfy { $0 == h.tenantB.uuidString.lowercased() })
            #expect(tenantB.durable.count == 2)
            // A replay has the stored events only: no delta.
            let replay = WatchRecorder.start(a.hub, tenant: h.tenantA, after: 0)
            try await replay.waitForDurable(5)
            #expect(!replay.events.contains { $0.kind == .replyDelta })
            for watcher in [onlyOne, onlyMessages, tenantB, replay] { await watcher.cancel() }
        }
    }

    @Test("A client that reads too slowly is disconnected with its position and resumes without a gap")
    func slowWatcher() async throws {
        try await Harness.with(configuration: Harness.configuration(capacity: 10)) { h in
            let (a, b) = (h.nodes[0], h.nodes[1])
            let conversation = try await h.conversation(h.tenantA, on: a)
            let slow = WatchRecorder.start(b.hub, tenant: h.tenantA, after: nil, blocked: true)
            try await Polling.until("the watcher registered", within: .seconds(10)) { b.hub.watcherCount == 1 }
            for index in 0..<40 {
                try await h.message(h.tenantA, conversation, "m\(index)", on: a)
            }
            try await Polling.until("the overflow", within: .seconds(20)) {
                (try? await ConversationEventReader(pool: h.pool).position(tenantID: h.tenantA, conversationID: nil).0
                    .lastEventID) == 41 && b.hub.feeds.first?.lastSeen == 41
            }
            slow.release()
            try await slow.waitForEnd()
            let error = try #require(slow.error as? RPCError)
            #expect(error.code == .resourceExhausted)
            let position = try #require(slow.durable.last?.sequenceNumber)
            #expect(error.message.contains("resume with afterEventId=\(position)"))
            #expect(error.metadata.firstString(forKey: "metachat-resume-after") == String(position))
            #expect(Self.ids(slow.durable) == Array(2...position))
            let resumed = WatchRecorder.start(a.hub, tenant: h.tenantA, after: position)
            try await resumed.waitForDurable(41 - Int(position))
            #expect(Self.ids(slow.durable) + Self.ids(resumed.durable) == Array(2...41))
            await resumed.cancel()
        }
    }

    @Test("Idle watchers get heartbeats; a stopping server ends watchers with UNAVAILABLE and their position")
    func heartbeatsAndShutdown() async throws {
        try await Harness.with(configuration: Harness.configuration(heartbeat: .milliseconds(200))) { h in
            let (a, b) = (h.nodes[0], h.nodes[1])
            let conversation = try await h.conversation(h.tenantA, on: a)
            let watcher = WatchRecorder.start(b.hub, tenant: h.tenantA, after: 0)
            try await Polling.until("two heartbeats", within: .seconds(10)) {
                watcher.events.filter { event in
                    if case .heartbeat = event.payload { true } else { false }
                }.count >= 2
            }
            try await h.message(h.tenantA, conversation, "m", on: a)
            try await watcher.waitForDurable(2)
            b.hub.stop()
            try await watcher.waitForEnd()
            let error = try #require(watcher.error as? RPCError)
            #expect(error.code == .unavailable)
            #expect(error.metadata.firstString(forKey: "metachat-resume-after") == "2")
        }
    }

    @Test(
        "Resuming ahead of the log is INVALID_ARGUMENT, from pruned history FAILED_PRECONDITION, an unknown conversation NOT_FOUND"
    )
    func resumeRefusals() async throws {
        try await Harness.with(nodes: 1) { h in
            let node = h.nodes[0]
            let conversation = try await h.conversation(h.tenantA, on: node)
            for index in 0..<5 {
                try await h.message(h.tenantA, conversation, "m\(index)", on: node)
            }
            let sink = RPCWriter<Metachat_V1_ConversationEvent> { _ in }
            await expectRPCError(.invalidArgument, "afterEventId lies ahead") {
                try await node.hub.watch(tenantID: h.tenantA, filter: .init(), after: 7, response: sink)
            }
            await expectRPCError(.notFound, "Conversation") {
                try await node.hub.watch(
                    tenantID: h.tenantB, filter: .init(conversationID: conversation.uuidString.lowercased()),
                    after: nil,
                    response: sink)
            }
            // Events 1-3 fall out of the retention window.
            try await h.pool.withAdminTransaction { connection in
                try await connection.execute(
                    "UPDATE conversation_events SET occurred_at = now() - interval '8 days' WHERE id <= 3")
            }
            let pruner = ConversationEventPruner(pool: h.pool, configuration: .defaults, logger: Harness.logger)
            #expect(try await pruner.prune(before: Date() - 7 * 24 * 3600) == 3)
            await expectRPCError(.failedPrecondition, "resync") {
                try await node.hub.watch(tenantID: h.tenantA, filter: .init(), after: 2, response: sink)
            }
            let fromThree = WatchRecorder.start(node.hub, tenant: h.tenantA, after: 3)
            try await fromThree.waitForDurable(3)
            #expect(Self.ids(fromThree.durable) == [4, 5, 6])
            await fromThree.cancel()
        }
    }

    @Test("Redis down: watchers keep receiving from PostgreSQL and health says degraded; Redis back: healthy again")
    func redisOutage() async throws {
        let redis = try RedisOnFreePort()
        try await redis.start()
        do {
            try await Harness.with(redisURL: redis.url) { h in
                let (a, b) = (h.nodes[0], h.nodes[1])
                let conversation = try await h.conversation(h.tenantA, on: a)
                let watcher = WatchRecorder.start(b.hub, tenant: h.tenantA, after: 0)
                try await h.message(h.tenantA, conversation, "before", on: a)
                try await watcher.waitForDurable(2)
                try await Polling.until("healthy", within: .seconds(10)) { !b.hub.health.isDegraded }

                try await redis.stop()
                for index in 0..<10 {
                    try await h.message(h.tenantA, conversation, "during \(index)", on: a)
                }
                try await watcher.waitForDurable(12)
                try await Polling.until("degraded", within: .seconds(10)) { b.hub.health.isDegraded }

                try await redis.start()
                try await Polling.until("healthy again", within: .seconds(20)) {
                    !a.hub.health.isDegraded && !b.hub.health.isDegraded
                }
                for index in 0..<10 {
                    try await h.message(h.tenantA, conversation, "after \(index)", on: a)
                }
                try await watcher.waitForDurable(22)
                #expect(Self.ids(watcher.durable) == Array(1...22))
                await watcher.cancel()
            }
        } catch {
            try? await redis.stop()
            throw error
        }
        try await redis.stop()
    }
}
