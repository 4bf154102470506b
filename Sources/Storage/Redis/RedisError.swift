/// A Redis call that failed.
///
/// The handler layer maps ``isUnavailable`` errors to `UNAVAILABLE` (Redis being down degrades
/// rate limits and live events; see `docs/decisions.md`).
package struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. A struct over a private enum, so new codes break no `switch`.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
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
        package static let connectionFailed = Code(.connectionFailed)
        /// The connection broke during the call; the command may or may not have run.
        package static let connectionLost = Code(.connectionLost)
        /// Redis did not answer within the command timeout, or a subscription was not confirmed in time.
        package static let timeout = Code(.timeout)
        /// Every pooled connection stayed busy for the acquire timeout.
        package static let acquireTimeout = Code(.acquireTimeout)
        /// The pool or subscriber is shut down.
        package static let shutDown = Code(.shutDown)
        /// Redis answered with an error reply; ``RedisError/message`` is its text.
        package static let errorReply = Code(.errorReply)
        /// A ``RedisConnection`` was used after the closure that leased it returned.
        package static let connectionNotLeased = Code(.connectionNotLeased)
        /// Redis refused the credentials of the URL (`AUTH` answered `WRONGPASS` or another error).
        package static let authenticationFailed = Code(.authenticationFailed)

        package var description: String {
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
    package var code: Code
    /// What failed; for ``Code/errorReply`` the server's error text (e.g. `NOSCRIPT …`).
    package var message: String

    /// Creates an error.
    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// Redis could not be used at all: no connection, refused credentials, a connection lost, a
    /// timeout, an exhausted pool, or a shut-down client.
    package var isUnavailable: Bool {
        self.code != .errorReply && self.code != .connectionNotLeased
    }

    /// `EVALSHA` named a script Redis does not have cached.
    package var isNoScript: Bool {
        self.code == .errorReply && self.message.hasPrefix("NOSCRIPT")
    }

    package var description: String { self.message }
}
