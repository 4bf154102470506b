/// How many messages each side of a call sends.
///
/// A struct over a private enum so new kinds never break callers' `switch` statements; test
/// with `==` against the static members.
package struct RPCKind: Sendable, Hashable, CustomStringConvertible {
    private enum Wrapped: Sendable, Hashable {
        case unary
        case serverStreaming
        case clientStreaming
        case bidirectionalStreaming
    }

    private let wrapped: Wrapped

    private init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    /// One request, one response.
    package static let unary = RPCKind(.unary)
    /// One request, a stream of responses.
    package static let serverStreaming = RPCKind(.serverStreaming)
    /// A stream of requests, one response.
    package static let clientStreaming = RPCKind(.clientStreaming)
    /// Streams both ways.
    package static let bidirectionalStreaming = RPCKind(.bidirectionalStreaming)

    /// Whether the client sends a stream of messages.
    package var clientStreams: Bool {
        self.wrapped == .clientStreaming || self.wrapped == .bidirectionalStreaming
    }

    /// Whether the server sends a stream of messages.
    package var serverStreams: Bool {
        self.wrapped == .serverStreaming || self.wrapped == .bidirectionalStreaming
    }

    package var description: String {
        switch self.wrapped {
        case .unary: "unary"
        case .serverStreaming: "server-streaming"
        case .clientStreaming: "client-streaming"
        case .bidirectionalStreaming: "bidirectional-streaming"
        }
    }
}
