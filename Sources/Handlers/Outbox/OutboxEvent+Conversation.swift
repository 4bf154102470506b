internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

extension OutboxEvent {
    /// The outbox event of a durable conversation event; `nil` for kinds that never leave the
    /// process (live-only ones).
    ///
    /// Its `data` is the conversation event in its protobuf JSON form, exactly what
    /// `WatchConversationEvents` streams (`eventId`, `tenantId`, `conversationId`, `occurredAt`
    /// and the payload, e.g. `messageCreated: {message: …}`).
    ///
    /// - Parameters:
    ///   - event: The durable event, with its `event_id`.
    ///   - tenantID: Its tenant.
    init?(conversationEvent event: Metachat_V1_ConversationEvent, tenantID: UUID) throws {
        let type: Metachat_V1_WebhookEventType
        switch event.payload {
        case .conversationCreated: type = .conversationCreated
        case .conversationUpdated: type = .conversationUpdated
        case .statusChanged: type = .conversationStatusChanged
        case .assigned: type = .conversationAssigned
        case .escalated: type = .conversationEscalated
        case .messageCreated: type = .messageCreated
        case .messageDeliveryUpdated: type = .messageDeliveryUpdated
        case .replyDelta, .typing, .conversationDeleted, .heartbeat, nil: return nil
        }
        self.init(
            tenantID: tenantID, type: type, occurredAt: event.occurredAt.date, dataJSON: try event.jsonString(),
            conversationID: UUID(canonicalText: event.conversationID))
    }
}
