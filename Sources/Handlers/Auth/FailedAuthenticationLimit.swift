internal import RPCServer

/// Limits failed authentication attempts per client address, in Redis like every rate limit.
///
/// A caller presenting keys that are not valid costs a key look-up each time, and a PostgreSQL
/// read whenever the key's prefix is new; guessing a key is hopeless (32 random bytes), but a flood
/// of made-up keys is not free. Each attempt that ends `UNAUTHENTICATED` counts one for the
/// client's address (`authfail:<address>`); past the limit, attempts from that address end with
/// `RESOURCE_EXHAUSTED` (`retry-after` in the metadata, HTTP 429) before the look-up, until the
/// retry time Redis gave. Calls on connections that already authenticated, and callers at other
/// addresses, are not affected; a valid key sent from a blocked address waits like any other.
package struct FailedAuthenticationLimit: Sendable {
    private let limiter: RateLimiter
    private let policy: RateLimitPolicy

    /// Creates the limit.
    ///
    /// - Parameters:
    ///   - limiter: Counts the failures (shared with ``RateLimitInterceptor``).
    ///   - policy: How many failed attempts one address may make per window.
    package init(limiter: RateLimiter, policy: RateLimitPolicy) {
        self.limiter = limiter
        self.policy = policy
    }

    /// Throws when `client` is over its limit, without counting.
    ///
    /// - Parameter client: The call's ``ServerContext/clientAddress``.
    /// - Throws: ``RPCError`` `resourceExhausted` with `retry-after`.
    func checkNotBlocked(client: ClientAddress) throws {
        if let refusal = self.limiter.standingRefusal(subject: Self.subject(of: client)) {
            throw Self.blocked(refusal)
        }
    }

    /// Counts a failed attempt from `client`.
    ///
    /// - Parameter client: The call's ``ServerContext/clientAddress``.
    /// - Throws: ``RPCError`` `resourceExhausted` with `retry-after` when this attempt went over
    ///   the limit.
    func recordFailure(client: ClientAddress) async throws {
        let decision = await self.limiter.check(subject: Self.subject(of: client), policy: self.policy)
        if !decision.allowed {
            throw Self.blocked(decision)
        }
    }

    private static func subject(of client: ClientAddress) -> String {
        "authfail:" + client.rateLimitKey
    }

    private static func blocked(_ refusal: RateLimitDecision) -> RPCError {
        var metadata = Metadata()
        metadata.addString(String(refusal.retryAfterSeconds), forKey: "retry-after")
        return RPCError(
            code: .resourceExhausted,
            message:
                "Too many failed authentication attempts from this address (limit \(refusal.limit)); retry after the time in retry-after.",
            metadata: metadata)
    }
}
