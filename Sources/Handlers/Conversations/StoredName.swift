internal import MetaChatAPI

/// The text the conversation tables store for the API's enums (`'OPEN'`, `'WHATSAPP'`, …): the
/// enum value's name without its prefix, as the `CHECK` constraints of
/// `0006_conversations.sql` list them, so rows read well in `psql` and survive renumbering.
enum StoredName {
    static func status(_ status: Metachat_V1_ConversationStatus) -> String? {
        switch status {
        case .open: "OPEN"
        case .awaitingHuman: "AWAITING_HUMAN"
        case .assignedToHuman: "ASSIGNED_TO_HUMAN"
        case .resolved: "RESOLVED"
        case .closed: "CLOSED"
        default: nil
        }
    }

    static func status(_ text: String) -> Metachat_V1_ConversationStatus {
        switch text {
        case "OPEN": .open
        case "AWAITING_HUMAN": .awaitingHuman
        case "ASSIGNED_TO_HUMAN": .assignedToHuman
        case "RESOLVED": .resolved
        case "CLOSED": .closed
        default: .unspecified
        }
    }

    static func channelType(_ type: Metachat_V1_ChannelType) -> String? {
        switch type {
        case .webChat: "WEB_CHAT"
        case .whatsapp: "WHATSAPP"
        case .messenger: "MESSENGER"
        case .api: "API"
        default: nil
        }
    }

    static func channelType(_ text: String) -> Metachat_V1_ChannelType {
        switch text {
        case "WEB_CHAT": .webChat
        case "WHATSAPP": .whatsapp
        case "MESSENGER": .messenger
        case "API": .api
        default: .unspecified
        }
    }

    static func role(_ role: Metachat_V1_MessageRole) -> String? {
        switch role {
        case .user: "USER"
        case .assistant: "ASSISTANT"
        case .agent: "AGENT"
        case .system: "SYSTEM"
        default: nil
        }
    }

    static func role(_ text: String) -> Metachat_V1_MessageRole {
        switch text {
        case "USER": .user
        case "ASSISTANT": .assistant
        case "AGENT": .agent
        case "SYSTEM": .system
        default: .unspecified
        }
    }

    static func delivery(_ status: Metachat_V1_MessageDeliveryStatus) -> String? {
        switch status {
        case .queued: "QUEUED"
        case .sent: "SENT"
        case .delivered: "DELIVERED"
        case .read: "READ"
        case .failed: "FAILED"
        default: nil
        }
    }

    static func delivery(_ text: String?) -> Metachat_V1_MessageDeliveryStatus {
        switch text {
        case "QUEUED": .queued
        case "SENT": .sent
        case "DELIVERED": .delivered
        case "READ": .read
        case "FAILED": .failed
        default: .unspecified
        }
    }

    static func escalationReason(_ reason: Metachat_V1_EscalationReason) -> String? {
        switch reason {
        case .keyword: "KEYWORD"
        case .lowConfidence: "LOW_CONFIDENCE"
        case .noContext: "NO_CONTEXT"
        case .manual: "MANUAL"
        case .requestedByUser: "REQUESTED_BY_USER"
        default: nil
        }
    }

    static func escalationReason(_ text: String?) -> Metachat_V1_EscalationReason {
        switch text {
        case "KEYWORD": .keyword
        case "LOW_CONFIDENCE": .lowConfidence
        case "NO_CONTEXT": .noContext
        case "MANUAL": .manual
        case "REQUESTED_BY_USER": .requestedByUser
        default: .unspecified
        }
    }
}
