/// Sends messages on a stream: the responses of a server- or bidi-streaming handler, or the
/// requests of a client- or bidi-streaming client call.
///
/// `write` suspends while the transport applies backpressure, so a slow reader slows the
/// writer instead of growing a buffer.
package struct RPCWriter<Element: Sendable>: Sendable {
    private let writeMessage: @Sendable (Element) async throws -> Void

    /// Creates a writer from the function that delivers each message.
    ///
    /// - Parameter write: Called once per message, in order.
    package init(_ write: @escaping @Sendable (Element) async throws -> Void) {
        self.writeMessage = write
    }

    /// Sends one message.
    ///
    /// - Parameter message: The message.
    package func write(_ message: Element) async throws {
        try await self.writeMessage(message)
    }

    /// Sends several messages in order.
    ///
    /// - Parameter messages: The messages.
    package func write(contentsOf messages: some Sequence<Element>) async throws {
        for message in messages {
            try await self.writeMessage(message)
        }
    }

    /// A writer that transforms each message before handing it to this one.
    ///
    /// - Parameter transform: The transform; its errors are thrown from `write`.
    /// - Returns: The transforming writer.
    package func mapMessages<Input: Sendable>(
        _ transform: @escaping @Sendable (Input) throws -> Element
    ) -> RPCWriter<Input> {
        let writeMessage = self.writeMessage
        return RPCWriter<Input> { input in
            try await writeMessage(try transform(input))
        }
    }
}
