package import FoundationEssentials
package import MetaChatAPI
internal import SwiftProtobuf

extension Metachat_V1_ConversationEvent {
    /// An event of `conversationID` with `payload`, occurring now.
    ///
    /// - Parameters:
    ///   - id: The durable event id; `nil` for live-only events.
    ///   - tenantID: The tenant, lower case.
    ///   - conversationID: The conversation, lower case.
    ///   - occurredAt: When it happened.
    ///   - payload: What happened.
    package init(
        id: Int64?, tenantID: String, conversationID: String, occurredAt: Date = Date(), payload: OneOf_Payload
    ) {
        self.init()
        self.eventID = id.map(String.init) ?? ""
        self.tenantID = tenantID
        self.conversationID = conversationID
        self.occurredAt = Google_Protobuf_Timestamp(date: occurredAt)
        self.payload = payload
    }

    /// The kind of the payload, for filters and the stored `kind` column.
    package var kind: Metachat_V1_ConversationEventKind {
        switch self.payload {
        case .conversationCreated: .conversationCreated
        case .conversationUpdated: .conversationUpdated
        case .statusChanged: .statusChanged
        case .assigned: .assigned
        case .escalated: .escalated
        case .messageCreated: .messageCreated
        case .messageDeliveryUpdated: .messageDeliveryUpdated
        case .replyDelta: .replyDelta
        case .typing: .typing
        case .conversationDeleted: .conversationDeleted
        case .heartbeat, nil: .unspecified
        }
    }

    /// The durable event id as a number; `nil` for live-only events.
    package var sequenceNumber: Int64? { Int64(self.eventID) }
}

extension Metachat_V1_ConversationEventKind {
    /// The name stored in `conversation_events.kind`, e.g. `message_created`.
    var storedName: String {
        switch self {
        case .conversationCreated: "conversation_created"
        case .conversationUpdated: "conversation_updated"
        case .statusChanged: "status_changed"
        case .assigned: "assigned"
        case .escalated: "escalated"
        case .messageCreated: "message_created"
        case .messageDeliveryUpdated: "message_delivery_updated"
        case .replyDelta: "reply_delta"
        case .typing: "typing"
        case .conversationDeleted: "conversation_deleted"
        case .unspecified, .UNRECOGNIZED: "unspecified"
        }
    }
}
