/// One event of a `text/event-stream` (the WHATWG HTML "server-sent events" format), as
/// ``ServerSentEventParser`` dispatches it.
package struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field; empty when the event named none (the format's default type
    /// `message`).
    package var event: String
    /// The `data:` lines joined with `\n`.
    package var data: String
    /// The last `id:` field seen so far; empty when none.
    package var id: String

    /// Creates an event.
    package init(event: String = "", data: String, id: String = "") {
        self.event = event
        self.data = data
        self.id = id
    }
}
