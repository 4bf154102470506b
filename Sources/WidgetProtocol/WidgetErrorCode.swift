/// The `code` of a widget `error` frame (docs/widget.md lists each with its close code).
public struct WidgetErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// The code as the frame carries it.
    public let rawValue: String

    private init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// A frame that does not read (bad JSON, a field outside its rules); the session stays
    /// open, except for a bad `hello` (close 4400).
    public static let invalidFrame = WidgetErrorCode("invalid_frame")
    /// A `message` before `hello`, or a second `hello` (close 4400).
    public static let helloRequired = WidgetErrorCode("hello_required")
    /// The visitor token is forged, expired or another widget's (close 4401).
    public static let invalidToken = WidgetErrorCode("invalid_token")
    /// No `hello` within the time allowed (close 4408).
    public static let helloTimeout = WidgetErrorCode("hello_timeout")
    /// Too many messages from this visitor or address; retry later (the session stays open).
    public static let rateLimited = WidgetErrorCode("rate_limited")
    /// The client id was used before for another text.
    public static let clientIDReused = WidgetErrorCode("client_id_reused")
    /// The message was not answered (quota, closed conversation, model failure).
    public static let notAnswered = WidgetErrorCode("not_answered")
    /// The session's history could not be sent (too old to resume, storage down); close 1011.
    public static let unavailable = WidgetErrorCode("unavailable")

    /// The code's text.
    public var description: String { self.rawValue }
}
