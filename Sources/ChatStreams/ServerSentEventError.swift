/// Why ``ServerSentEventParser`` refused a stream: a line or an event larger than its limits
/// (a server that never ends a line would otherwise grow the buffer without bound).
package struct ServerSentEventError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong, for logs and the UNAVAILABLE message.
    package var message: String

    /// Creates an error.
    package init(_ message: String) {
        self.message = message
    }

    package var description: String { self.message }
}
