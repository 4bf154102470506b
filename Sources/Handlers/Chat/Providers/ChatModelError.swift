package import RPCServer

/// Why a model call failed. Every one maps to one status (``rpcError``): `UNAVAILABLE` for
/// anything the provider or the network did (unreachable, timed out, malformed or truncated
/// stream, HTTP errors, an open circuit), `FAILED_PRECONDITION` for what the tenant must fix
/// (the provider refused the API key, the base URL is not allowed).
package struct ChatModelError: Error, Sendable, CustomStringConvertible {
    /// The status family.
    package enum Kind: Sendable, Hashable {
        /// The provider or the network failed; trying later may work.
        case unavailable
        /// The tenant's configuration is wrong.
        case misconfigured
    }

    /// The status family.
    package var kind: Kind
    /// What happened, naming the endpoint; safe to show to the caller.
    package var message: String
    /// Whether another attempt may succeed (connection errors, 429, 5xx) — only ever used before
    /// the first piece of text.
    package var retryable: Bool
    /// How long the provider asked to wait (`retry-after`), if it did.
    package var retryAfter: Duration?
    /// Whether it counts against the endpoint's circuit breaker.
    package var countsAsFailure: Bool

    /// Creates an error.
    package init(
        _ kind: Kind, _ message: String, retryable: Bool = false, retryAfter: Duration? = nil,
        countsAsFailure: Bool = true
    ) {
        self.kind = kind
        self.message = message
        self.retryable = retryable
        self.retryAfter = retryAfter
        self.countsAsFailure = countsAsFailure
    }

    package var description: String { self.message }

    /// The status the caller gets.
    package var rpcError: RPCError {
        switch self.kind {
        case .unavailable: RPCError(code: .unavailable, message: self.message)
        case .misconfigured: RPCError(code: .failedPrecondition, message: self.message)
        }
    }
}
