import Dashboard
import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import Synchronization
import Testing

/// The live route: Server-Sent Events fed by the tenant's conversation event stream, resumed by
/// `Last-Event-ID` without gap or duplicate, the assistant's pieces as `delta` frames.
@Suite("Dashboard live updates", .serialized)
struct DashboardLiveTests {
    /// Reads a live response's frames in the background.
    final class FrameReader: Sendable {
        /// The frames read so far.
        final class Frames: Sendable {
            let list = Mutex<[String]>([])
        }

        private let frames = Frames()
        private let task: Task<Void, Never>

        init(_ response: HTTPResponse) {
            let frames = self.frames
            let stream = response.bodyStream
            self.task = Task {
                guard let stream else { return }
                var pending = ""
                do {
                    for try await chunk in stream {
                        pending += String(decoding: chunk, as: UTF8.self)
                        while let end = pending.range(of: "\n\n") {
                            let frame = String(pending[..<end.lowerBound])
                            pending = String(pending[end.upperBound...])
                            frames.list.withLock { $0.append(frame) }
                        }
                    }
                } catch {}
            }
        }

        /// The frames so far.
        var all: [String] { self.frames.list.withLock { $0 } }

        /// Waits (polling, at most 30 s) until `count` frames satisfy `matching`.
        func wait(for count: Int, _ matching: (String) -> Bool = { _ in true }) async throws -> [String] {
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                let found = self.all.filter(matching)
                if found.count >= count { return found }
                await Task.yield()
                try await Task.sleep(for: .milliseconds(10))  // polling interval of a bounded wait
            }
            Issue.record("only \(self.all.filter(matching).count) of \(count) frames arrived: \(self.all)")
            return self.all.filter(matching)
        }

        func stop() {
            self.task.cancel()
        }
    }

    static func userMessage(_ harness: DashboardTestHarness, tenant: UUID, conversation: UUID, _ text: String)
        async throws
    {
        var message = Metachat_V1_Message()
        message.role = .user
        message.text = text
        message.authorID = "customer"
        _ = try await harness.ledger.record(tenantID: tenant, conversationID: conversation, message, actor: "customer")
    }

    static func ids(_ frames: [String]) -> [Int] {
        frames.compactMap { frame in
            frame.split(separator: "\n").first { $0.hasPrefix("id: ") }.flatMap { Int($0.dropFirst(4)) }
        }
    }

    @Test("Changes arrive as events with ids; a reconnect with Last-Event-ID gets exactly the missed ones")
    func resume() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            try await harness.makeUser("ann@acme.example", .agent, tenant: tenant)
            let token = try await harness.login("ann@acme.example")
            let conversation = try await DashboardInboxTests.conversation(harness, tenant: tenant, user: "customer")
            let inbox = await harness.send("GET", DashboardInboxTests.path(tenant, "/inbox?view=all"), cookie: token)
            let live = try #require(
                inbox.text.range(of: "data-live-url=\"").map { range in
                    String(inbox.text[range.upperBound...].prefix { $0 != "\"" })
                })
            let first = await harness.send("GET", live, cookie: token)
            #expect(first.status == 200)
            #expect(first.header("content-type") == "text/event-stream; charset=utf-8")
            #expect(first.header("x-accel-buffering") == "no")
            let reader = FrameReader(first)
            try await Self.userMessage(harness, tenant: tenant, conversation: conversation, "first <b>question</b>")
            let seen = try await reader.wait(for: 1) { $0.contains("\"kind\":\"message_created\"") }
            try #require(seen.count == 1)
            #expect(seen[0].contains("event: change"))
            #expect(seen[0].contains(#""text":"first <b>question</b>""#))
            let lastSeen = try #require(Self.ids(reader.all).last)
            reader.stop()
            // While disconnected: two more changes.
            try await Self.userMessage(harness, tenant: tenant, conversation: conversation, "second")
            _ = try await harness.ledger.transition(tenantID: tenant, id: conversation, .escalate, actor: "test")
            let resumed = await harness.send(
                "GET", DashboardInboxTests.path(tenant, "/live"), cookie: token,
                headers: [("Last-Event-ID", String(lastSeen))])
            let again = FrameReader(resumed)
            let frames = try await again.wait(for: 3) { $0.hasPrefix("id: ") }
            try #require(frames.count >= 3)
            let ids = Self.ids(frames)
            #expect(ids.first == lastSeen + 1)
            #expect(ids == Array(ids.sorted()) && Set(ids).count == ids.count)
            #expect(!again.all.contains { $0.contains("first <b>question</b>") })
            #expect(again.all.contains { $0.contains(#""text":"second""#) })
            again.stop()
        }
    }

    @Test("The assistant's reply pieces are delta frames without ids, in order, ending with final")
    func deltas() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            try await harness.makeUser("ann@acme.example", .agent, tenant: tenant)
            let token = try await harness.login("ann@acme.example")
            let conversation = try await DashboardInboxTests.conversation(harness, tenant: tenant, user: "customer")
            let id = conversation.uuidString.lowercased()
            // The conversation page's live route carries the position the page was read at.
            let page = await harness.send(
                "GET", DashboardInboxTests.path(tenant, "/conversations/\(id)"), cookie: token)
            let live = try #require(
                page.text.range(of: "data-live-url=\"").map { range in
                    String(page.text[range.upperBound...].prefix { $0 != "\"" })
                })
            #expect(live.contains("conversation=\(id)&amp;after="))
            let response = await harness.send("GET", live.replacingOccurrences(of: "&amp;", with: "&"), cookie: token)
            #expect(response.status == 200)
            let reader = FrameReader(response)
            // Reply pieces are never stored: a stored change read first (replayed from the page's
            // position if need be) proves the watch is registered and follows live events.
            try await Self.userMessage(harness, tenant: tenant, conversation: conversation, "anyone there?")
            _ = try await reader.wait(for: 1) { $0.contains("anyone there?") }
            for (sequence, piece) in ["Hel", "lo <script>", ""].enumerated() {
                var event = Metachat_V1_ConversationEvent()
                event.tenantID = tenant.uuidString.lowercased()
                event.conversationID = id
                var delta = Metachat_V1_ConversationEvent.ReplyDelta()
                delta.messageID = "answer-1"
                delta.sequence = Int32(sequence)
                delta.textDelta = piece
                delta.isFinal = sequence == 2
                event.replyDelta = delta
                await harness.hub.live(event, tenantID: tenant)
            }
            let frames = try await reader.wait(for: 3) { $0.hasPrefix("event: delta") }
            try #require(frames.count == 3)
            #expect(frames.allSatisfy { !$0.contains("id: ") })
            #expect(frames[0].contains(#""text":"Hel""#) && frames[0].contains(#""final":false"#))
            #expect(frames[1].contains(#""text":"lo <script>""#))
            #expect(frames[2].contains(#""final":true"#))
            reader.stop()
            // Another tenant's user cannot watch this conversation.
            let other = try await harness.makeTenant("Other")
            try await harness.makeUser("eve@other.example", .agent, tenant: other)
            let eve = try await harness.login("eve@other.example")
            #expect(
                await harness.send("GET", DashboardInboxTests.path(other, "/live?conversation=\(id)"), cookie: eve)
                    .status == 404)
        }
    }

    @Test("A position that is not an event id is 400; the live script and its content type are served")
    func badPosition() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            try await harness.makeUser("ann@acme.example", .agent, tenant: tenant)
            let token = try await harness.login("ann@acme.example")
            for position in ["-1", "abc", "99999999999999999999", "1e3"] {
                let response = await harness.send(
                    "GET", DashboardInboxTests.path(tenant, "/live"), cookie: token,
                    headers: [("Last-Event-ID", position)])
                #expect(response.status == 400, "\(position)")
            }
            let script = await harness.send("GET", "/static/live.js")
            #expect(script.header("content-type") == "text/javascript; charset=utf-8")
            #expect(script.text.contains("createTextNode"))
            #expect(!script.text.contains("innerHTML"))
        }
    }
}
