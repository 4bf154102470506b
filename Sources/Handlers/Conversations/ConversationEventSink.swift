package import FoundationEssentials
package import MetaChatAPI

/// Hears conversation events once they exist: durable ones after the transaction that stored
/// them committed, live-only ones (reply deltas, typing, erasures) as they happen. The live
/// stream (``ConversationEventHub``) is the implementation `serve` uses; webhooks and other
/// consumers add theirs.
package protocol ConversationEventSink: Sendable {
    /// Called once per committed transaction with the events it stored, in `event_id` order.
    ///
    /// - Parameters:
    ///   - events: The events, each with its `event_id`.
    ///   - tenantID: Their tenant.
    func committed(_ events: [Metachat_V1_ConversationEvent], tenantID: UUID) async

    /// Called with an event that is never stored (no `event_id`).
    ///
    /// - Parameters:
    ///   - event: The event.
    ///   - tenantID: Its tenant.
    func live(_ event: Metachat_V1_ConversationEvent, tenantID: UUID) async
}

/// A ``ConversationEventSink`` that drops everything, for servers and tests without watchers.
package struct IgnoringConversationEventSink: ConversationEventSink {
    /// Creates the sink.
    package init() {}

    package func committed(_ events: [Metachat_V1_ConversationEvent], tenantID: UUID) async {}

    package func live(_ event: Metachat_V1_ConversationEvent, tenantID: UUID) async {}
}
