/// Why a model's stream could not be read: a malformed chunk, an error event from the
/// provider, or an event-stream the parser refused. The message names what was wrong and
/// never quotes the provider's text beyond a short excerpt.
package struct ModelStreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    package var message: String

    /// Creates an error.
    package init(_ message: String) {
        self.message = message
    }

    package var description: String { self.message }

    /// At most 200 characters of `text`, for messages.
    static func excerpt(_ text: String) -> String {
        text.count <= 200 ? text : String(text.prefix(200)) + "…"
    }
}
