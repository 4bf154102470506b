import MetaChatAPI
import SwiftProtobuf
import Testing

@testable import RESTBridge

/// SSE labels come from a streamed message's top-level fields: `id:` from `event_id`, `event:`
/// from the oneof member that is set, the type's short name otherwise.
@Suite("SSE event labels")
struct StreamEventLabelsTests {
    static let registry = Result { try SchemaRegistry(descriptorSets: [MetaChatDescriptorSet.bytes]) }

    static func labels(for type: String) throws -> StreamEventLabels {
        StreamEventLabels(schema: try Self.registry.get().message(type), fallbackName: type)
    }

    @Test("A conversation event is labelled by its id and the member of its payload, nested ids ignored")
    func conversationEvent() throws {
        let labels = try Self.labels(for: "metachat.v1.ConversationEvent")
        var event = Metachat_V1_ConversationEvent()
        event.eventID = "42"
        event.messageCreated.message.eventID = "7"
        event.messageCreated.message.text = "hello"
        #expect(labels.labels(of: event) == ("42", "messageCreated"))

        var status = Metachat_V1_ConversationEvent()
        status.eventID = "43"
        status.statusChanged.status = .resolved
        #expect(labels.labels(of: status) == ("43", "statusChanged"))

        // Live-only events carry no id.
        var heartbeat = Metachat_V1_ConversationEvent()
        heartbeat.heartbeat = .init()
        #expect(labels.labels(of: heartbeat) == (nil, "heartbeat"))

        // Nothing set: the type's short name.
        #expect(labels.labels(of: Metachat_V1_ConversationEvent()) == (nil, "ConversationEvent"))
    }

    @Test("A message without an id field or a oneof is named by its type")
    func plainMessage() throws {
        let labels = try Self.labels(for: "metachat.v1.ListConversationsResponse")
        var page = Metachat_V1_ListConversationsResponse()
        page.nextPageToken = "next"
        #expect(labels.labels(of: page) == (nil, "ListConversationsResponse"))
    }
}
