internal import FoundationEssentials
internal import MetaChatAPI

/// Turns conversation events into the dashboard's Server-Sent Events frames.
///
/// Durable events become `event: change` with their `id:` (so `Last-Event-ID` resumes after
/// them); the assistant's live-only reply pieces become `event: delta` without an id; heartbeats
/// become comments; typing notices are dropped. Data is compact JSON made for `live.js`.
enum LiveEventFrame {
    /// A durable change.
    struct Change: Encodable {
        var conversationId: String
        var kind: String
        var messageId: String?
        var roleLabel: String?
        var roleClass: String?
        var author: String?
        var text: String?
    }

    /// A piece of the assistant's answer.
    struct Delta: Encodable {
        var conversationId: String
        var messageId: String
        var sequence: Int32
        var text: String
        var final: Bool
        var error: String?
    }

    /// The frame for `event`, or `nil` when the dashboard does not show it.
    static func frame(_ event: Metachat_V1_ConversationEvent) -> [UInt8]? {
        switch event.payload {
        case .heartbeat:
            return Array(": heartbeat\n\n".utf8)
        case .typing, .none:
            return nil
        case .replyDelta(let delta):
            let body = Delta(
                conversationId: event.conversationID, messageId: delta.messageID, sequence: delta.sequence,
                text: delta.textDelta, final: delta.isFinal,
                error: delta.errorMessage.isEmpty ? nil : delta.errorMessage)
            return Self.encode(name: "delta", id: nil, body)
        case .messageCreated(let created):
            let message = created.message
            let role = MessageRoleLabel(message.role)
            let body = Change(
                conversationId: event.conversationID, kind: "message_created", messageId: message.id,
                roleLabel: role.label, roleClass: role.cssClass,
                author: message.authorID.isEmpty ? nil : message.authorID, text: message.text)
            return Self.encode(name: "change", id: event.eventID, body)
        case .some(let payload):
            let kind =
                switch payload {
                case .conversationCreated: "conversation_created"
                case .conversationUpdated: "conversation_updated"
                case .statusChanged: "status_changed"
                case .assigned: "assigned"
                case .escalated: "escalated"
                case .messageDeliveryUpdated: "message_delivery_updated"
                case .conversationDeleted: "conversation_deleted"
                default: "changed"
                }
            return Self.encode(
                name: "change", id: event.eventID, Change(conversationId: event.conversationID, kind: kind))
        }
    }

    private static func encode(name: String, id: String?, _ body: some Encodable) -> [UInt8]? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let json = try? encoder.encode(body) else { return nil }
        var frame = ""
        if let id, !id.isEmpty, id.allSatisfy(\.isNumber) {
            frame += "id: \(id)\n"
        }
        frame += "event: \(name)\ndata: "
        return Array(frame.utf8) + json + Array("\n\n".utf8)
    }
}

/// How a message's role is shown.
struct MessageRoleLabel {
    var label: String
    var cssClass: String

    init(_ role: Metachat_V1_MessageRole) {
        switch role {
        case .user: (self.label, self.cssClass) = ("Customer", "user")
        case .assistant: (self.label, self.cssClass) = ("Assistant", "assistant")
        case .agent: (self.label, self.cssClass) = ("Agent", "agent")
        case .system: (self.label, self.cssClass) = ("Notice", "system")
        default: (self.label, self.cssClass) = ("Message", "other")
        }
    }
}
