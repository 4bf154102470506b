/// A Redis call that failed.
///
/// The handler layer maps ``isUnavailable`` errors to `UNAVAILABLE` (Redis being down degrades
/// rate limits and live events; see `docs/decisions.md`).
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. A struct over a private enum, so new codes break no `switch`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: Sendable, Hashable {
            case connectionFailed
            case connectionLost
            case timeout
            case acquireTimeout
            case shutDown
            case errorReply
            case connectionNotLeased
            case authenticationFailed
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// No connection could be opened.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke during the call; the command may or may not have run.
        public static let connectionLost = Code(.connectionLost)
        /// Redis did not answer within the command timeout, or a subscription was not confirmed in time.
        public static let timeout = Code(.timeout)
        /// Every pooled connection stayed busy for the acquire timeout.
        public static let acquireTimeout = Code(.acquireTimeout)
        /// The pool or subscriber is shut down.
        public static let shutDown = Code(.shutDown)
        /// Redis answered with an error reply; ``RedisError/message`` is its text.
        public static let errorReply = Code(.errorReply)
        /// A ``RedisConnection`` was used after the closure that leased it returned.
        public static let connectionNotLeased = Code(.connectionNotLeased)
        /// Redis refused the credentials of the URL (`AUTH` answered `WRONGPASS` or another error).
        public static let authenticationFailed = Code(.authenticationFailed)

        public var description: String {
            switch self.wrapped {
            case .connectionFailed: "connectionFailed"
            case .connectionLost: "connectionLost"
            case .timeout: "timeout"
            case .acquireTimeout: "acquireTimeout"
            case .shutDown: "shutDown"
            case .errorReply: "errorReply"
            case .connectionNotLeased: "connectionNotLeased"
            case .authenticationFailed: "authenticationFailed"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What failed; for ``Code/errorReply`` the server's error text (e.g. `NOSCRIPT …`).
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Redis could not be used at all: no connection, refused credentials, a connection lost, a
    /// timeout, an exhausted pool, or a shut-down client.
    public var isUnavailable: Bool {
        self.code != .errorReply && self.code != .connectionNotLeased
    }

    /// `EVALSHA` named a script Redis does not have cached.
    public var isNoScript: Bool {
        self.code == .errorReply && self.message.hasPrefix("NOSCRIPT")
    }

    public var description: String { self.message }
}
