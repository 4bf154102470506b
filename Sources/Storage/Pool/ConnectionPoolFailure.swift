/// Why a pool could not hand out a connection; the pools turn it into their own error type.
enum ConnectionPoolFailure: Error, Sendable, Hashable {
    /// Every connection stayed busy for the whole acquire timeout.
    case acquireTimeout
    /// The pool is shutting down or shut down.
    case shutDown
}
