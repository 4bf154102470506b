/// A stored message as the widget shows it.
public struct WidgetMessage: Sendable, Equatable {
    /// Its conversation event id (the `message_created` event's).
    public var eventID: Int64
    /// Its id.
    public var id: String
    /// `user`, `assistant`, `agent` or `system`.
    public var role: String
    /// Its text.
    public var text: String
    /// The client id the visitor sent it with (visitor messages), else `nil`.
    public var clientID: String?
    /// When it was stored, RFC 3339 in UTC.
    public var createdAt: String

    /// Creates a message.
    public init(eventID: Int64, id: String, role: String, text: String, clientID: String?, createdAt: String) {
        self.eventID = eventID
        self.id = id
        self.role = role
        self.text = text
        self.clientID = clientID
        self.createdAt = createdAt
    }
}
