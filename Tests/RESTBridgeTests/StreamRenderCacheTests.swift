import MetaChatAPI
import Synchronization
import Testing

@testable import RESTBridge

/// A fanned-out event is rendered once per format: equal messages get the remembered bytes,
/// anything else is rendered.
@Suite("Stream render cache")
struct StreamRenderCacheTests {
    static func event(_ id: String, text: String = "hello") -> Metachat_V1_ConversationEvent {
        var event = Metachat_V1_ConversationEvent()
        event.eventID = id
        event.messageCreated.message.text = text
        return event
    }

    @Test("The same event for many watchers renders once; another event, key or content renders again")
    func hitsAndMisses() {
        let cache = StreamRenderCache(capacity: 4)
        let renders = Atomic(0)
        func render(_ event: Metachat_V1_ConversationEvent, key: String = "sse") -> [UInt8] {
            cache.rendered(event, key: key) {
                renders.add(1, ordering: .relaxed)
                return Array("\(key):\(event.eventID):\(event.messageCreated.message.text)".utf8)
            }
        }
        let first = Self.event("1")
        for _ in 0..<100 {
            #expect(render(first) == Array("sse:1:hello".utf8))
        }
        #expect(renders.load(ordering: .relaxed) == 1)
        // An equal message built separately is a hit too: equal messages render alike.
        #expect(render(Self.event("1")) == Array("sse:1:hello".utf8))
        #expect(renders.load(ordering: .relaxed) == 1)
        #expect(render(first, key: "ndjson") == Array("ndjson:1:hello".utf8))
        #expect(render(Self.event("1", text: "other")) == Array("sse:1:other".utf8))
        #expect(render(Self.event("2")) == Array("sse:2:hello".utf8))
        #expect(renders.load(ordering: .relaxed) == 4)
    }

    @Test("Only the last `capacity` messages are remembered")
    func eviction() {
        let cache = StreamRenderCache(capacity: 3)
        let renders = Atomic(0)
        func render(_ id: String) {
            _ = cache.rendered(Self.event(id), key: "k") {
                renders.add(1, ordering: .relaxed)
                return Array(id.utf8)
            }
        }
        for id in ["1", "2", "3", "1", "2", "3"] { render(id) }
        #expect(renders.load(ordering: .relaxed) == 3)
        render("4")  // evicts 1
        render("2")
        render("3")
        #expect(renders.load(ordering: .relaxed) == 4)
        render("1")
        #expect(renders.load(ordering: .relaxed) == 5)
    }
}
