package import MetaChatAPI

extension Metachat_V1_WebhookEventType {
    /// Every event type an endpoint may subscribe to (all but `unspecified`).
    package static let subscribable: [Self] = [
        .conversationCreated, .conversationUpdated, .conversationStatusChanged, .conversationAssigned,
        .conversationEscalated, .messageCreated, .messageDeliveryUpdated, .documentReady, .documentFailed,
        .tenantCreated, .tenantUpdated, .tenantDisabled, .apiKeyCreated, .apiKeyRevoked, .apiKeyRotated, .test,
    ]

    /// The name on the wire: the delivered JSON's `type`, the stored `event_type`, the second part
    /// of the RabbitMQ routing key, e.g. `message.created`; empty for `unspecified`.
    package var wireName: String {
        switch self {
        case .conversationCreated: "conversation.created"
        case .conversationUpdated: "conversation.updated"
        case .conversationStatusChanged: "conversation.status_changed"
        case .conversationAssigned: "conversation.assigned"
        case .conversationEscalated: "conversation.escalated"
        case .messageCreated: "message.created"
        case .messageDeliveryUpdated: "message.delivery_updated"
        case .documentReady: "document.ready"
        case .documentFailed: "document.failed"
        case .tenantCreated: "tenant.created"
        case .tenantUpdated: "tenant.updated"
        case .tenantDisabled: "tenant.disabled"
        case .apiKeyCreated: "api_key.created"
        case .apiKeyRevoked: "api_key.revoked"
        case .apiKeyRotated: "api_key.rotated"
        case .test: "webhook.test"
        case .unspecified, .UNRECOGNIZED: ""
        }
    }

    /// The type whose ``wireName`` is `name`; `nil` for an unknown name.
    ///
    /// - Parameter name: A wire name, e.g. `tenant.updated`.
    package init?(wireName name: String) {
        guard let match = Self.subscribable.first(where: { $0.wireName == name }) else { return nil }
        self = match
    }
}
