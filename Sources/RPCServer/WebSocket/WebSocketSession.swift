/// One accepted WebSocket connection as a route's handler sees it: the upgrade request, the
/// inbound messages, and ways to send and to close.
///
/// ```swift
/// let route = WebSocketRoute { session in
///     for try await message in session.messages {
///         if case .text(let text) = message {
///             try await session.send(text: text.uppercased())
///         }
///     }
/// }
/// ```
///
/// ``messages`` ends normally when the closing handshake starts (the client sent a close frame,
/// or ``close(code:reason:)`` was called, or the server shuts down) and throws an ``RPCError``
/// when the connection fails: `RESOURCE_EXHAUSTED` for a message over the limit,
/// `INVALID_ARGUMENT` for a protocol violation, `UNAVAILABLE` when the client vanished or
/// stopped answering pings. Iterate it from one task at a time.
///
/// The transport creates sessions; the public initialiser lets tests drive a route's handler
/// without a socket.
package struct WebSocketSession: Sendable {
    /// The upgrade request: method, target, headers and peer (its body is empty).
    package let request: HTTPRequest
    /// The messages the client sends, in order, fragments joined.
    package let messages: RPCAsyncSequence<WebSocketMessage>

    private let sendMessage: @Sendable (WebSocketMessage) async throws -> Void
    private let closeSession: @Sendable (WebSocketCloseCode, String) async -> Void

    /// Creates a session from the functions that carry it.
    ///
    /// - Parameters:
    ///   - request: The upgrade request.
    ///   - messages: The inbound messages.
    ///   - send: Sends one message, suspending under backpressure; throws once the session is
    ///     closed.
    ///   - close: Starts the closing handshake with a code and a reason.
    package init(
        request: HTTPRequest,
        messages: RPCAsyncSequence<WebSocketMessage>,
        send: @escaping @Sendable (WebSocketMessage) async throws -> Void,
        close: @escaping @Sendable (WebSocketCloseCode, String) async -> Void
    ) {
        self.request = request
        self.messages = messages
        self.sendMessage = send
        self.closeSession = close
    }

    /// Sends one message. Suspends while the connection's outbound buffer is full (a slow
    /// reader slows the sender instead of growing memory).
    ///
    /// - Parameter message: The message.
    /// - Throws: ``RPCError`` with `UNAVAILABLE` once the session is closing or closed.
    package func send(_ message: WebSocketMessage) async throws {
        try await self.sendMessage(message)
    }

    /// Sends a text message.
    ///
    /// - Parameter text: The text.
    /// - Throws: ``RPCError`` with `UNAVAILABLE` once the session is closing or closed.
    package func send(text: String) async throws {
        try await self.sendMessage(.text(text))
    }

    /// Sends a binary message.
    ///
    /// - Parameter binary: The bytes.
    /// - Throws: ``RPCError`` with `UNAVAILABLE` once the session is closing or closed.
    package func send(binary: [UInt8]) async throws {
        try await self.sendMessage(.binary(binary))
    }

    /// Starts the closing handshake: sends a close frame, ends ``messages`` and refuses further
    /// sends. The connection closes when the client answers (or after the close timeout). Does
    /// nothing when the session is already closing.
    ///
    /// - Parameters:
    ///   - code: The close code. Default 1000 (normal closure).
    ///   - reason: A short reason; cut to 123 UTF-8 bytes, the most a close frame holds.
    package func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async {
        await self.closeSession(code, reason)
    }
}
