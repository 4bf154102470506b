/// Why the event bus could not take messages: unreachable, refused the login, closed the channel,
/// or did not confirm in time. Messages never hold credentials.
package struct RabbitMQError: Error, Sendable, CustomStringConvertible {
    /// What happened.
    package var description: String

    /// Creates an error.
    package init(_ description: String) {
        self.description = description
    }
}
