internal import FoundationEssentials

/// A frame the server sends the web chat widget, rendered as JSON text (docs/widget.md).
///
/// Durable frames (`message`, `agent_joined`) carry the conversation event id they come from;
/// the widget resumes after the highest it has seen. The others are live only.
public enum WidgetServerFrame: Sendable, Equatable {
    /// The session is open: the visitor, the conversation (empty before the first message), the
    /// latest durable event id the history ends at, the greeting and title to show.
    case ready(visitorID: String, conversationID: String, lastEventID: Int64, greeting: String, title: String)
    /// A stored message (the visitor's, the assistant's or an agent's).
    case message(WidgetMessage)
    /// The visitor's message with this client id was accepted and will be answered.
    case ack(clientID: String)
    /// A piece of an answer being generated; `final` on the last piece (`failed` when it
    /// failed: drop the pieces).
    case delta(messageID: String, text: String, final: Bool, failed: Bool)
    /// Someone (`assistant` or `agent`) started or stopped typing.
    case typing(role: String, typing: Bool)
    /// A human agent took the conversation over.
    case agentJoined(eventID: Int64)
    /// Something was refused or failed; `clientID` names the message it concerns.
    case error(code: WidgetErrorCode, message: String, clientID: String?)

    /// The frame as JSON text (keys sorted).
    public var text: String {
        let wire: Wire =
            switch self {
            case .ready(let visitorID, let conversationID, let lastEventID, let greeting, let title):
                Wire(
                    type: "ready", visitorId: visitorID, conversationId: conversationID, lastEventId: lastEventID,
                    greeting: greeting, title: title)
            case .message(let message):
                Wire(
                    type: "message", eventId: message.eventID, id: message.id, role: message.role,
                    text: message.text, clientId: message.clientID, createdAt: message.createdAt)
            case .ack(let clientID):
                Wire(type: "ack", clientId: clientID)
            case .delta(let messageID, let text, let final, let failed):
                Wire(
                    type: "delta", messageId: messageID, text: text, final: final ? true : nil,
                    failed: failed ? true : nil)
            case .typing(let role, let typing):
                Wire(type: "typing", role: role, typing: typing)
            case .agentJoined(let eventID):
                Wire(type: "agent_joined", eventId: eventID)
            case .error(let code, let message, let clientID):
                Wire(type: "error", clientId: clientID, code: code.rawValue, message: message)
            }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(wire) else { return #"{"type":"error","code":"internal"}"# }
        return String(decoding: data, as: UTF8.self)
    }

    /// The fields as JSON has them; `nil` ones are left out.
    private struct Wire: Encodable {
        var type: String
        var visitorId: String?
        var conversationId: String?
        var lastEventId: Int64?
        var greeting: String?
        var title: String?
        var eventId: Int64?
        var id: String?
        var role: String?
        var messageId: String?
        var text: String?
        var clientId: String?
        var createdAt: String?
        var final: Bool?
        var failed: Bool?
        var typing: Bool?
        var code: String?
        var message: String?
    }
}
