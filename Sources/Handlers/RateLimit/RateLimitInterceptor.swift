public import RPCServer

/// Limits how many calls a caller makes per window, after ``AuthenticationInterceptor``.
///
/// The subject is the API key (``Principal``'s key id; the bootstrap key is one subject), or the
/// client's address (``ServerContext/peer`` without its port) for calls without credentials. A
/// tenant's `settings.rate_limit` overrides the default policy for its keys.
///
/// Every limited call gets `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset`
/// (seconds) in its response metadata, which the REST bridge sends as headers. A call over the
/// limit ends with `RESOURCE_EXHAUSTED` (HTTP 429) carrying the same metadata plus
/// `retry-after` (seconds).
public struct RateLimitInterceptor: ServerInterceptor {
    private let limiter: RateLimiter
    private let defaults: RateLimitPolicy
    private let exemptMethods: MethodPatternList

    /// Creates the interceptor.
    ///
    /// - Parameters:
    ///   - limiter: Counts the calls.
    ///   - defaults: The policy for callers without an override, usually
    ///     ``RateLimitPolicy/fromEnvironment(_:)``.
    ///   - exemptMethods: Methods never limited (health checks and reflection unless given).
    public init(
        limiter: RateLimiter,
        defaults: RateLimitPolicy,
        exemptMethods: MethodPatternList = MethodPatternList(["/grpc.health.v1.Health/*", "/grpc.reflection.*"])
    ) {
        self.limiter = limiter
        self.defaults = defaults
        self.exemptMethods = exemptMethods
    }

    public func intercept(
        context: ServerContext,
        next: (ServerContext) async throws -> Void
    ) async throws {
        guard !self.exemptMethods.contains(context.descriptor) else {
            try await next(context)
            return
        }
        var policy = self.defaults
        if let tenant = context.values[TenantRateLimitKey.self] {
            policy = policy.applying(tenant)
        }
        let decision = await self.limiter.check(subject: Self.subject(of: context), policy: policy)
        var metadata = Metadata()
        metadata.addString(String(decision.limit), forKey: "ratelimit-limit")
        metadata.addString(String(decision.remaining), forKey: "ratelimit-remaining")
        metadata.addString(String(Self.seconds(decision.resetMilliseconds)), forKey: "ratelimit-reset")
        guard decision.allowed else {
            metadata.addString(String(max(1, Self.seconds(decision.retryAfterMilliseconds))), forKey: "retry-after")
            throw RPCError(
                code: .resourceExhausted,
                message: "Rate limit of \(decision.limit) requests exceeded; retry after the time in retry-after.",
                metadata: metadata)
        }
        context.response.addInitial(metadata)
        try await next(context)
    }

    /// Whose allowance a call uses.
    ///
    /// - Parameter context: The call's context.
    static func subject(of context: ServerContext) -> String {
        switch context.principal {
        case .admin(_, let keyID, _), .tenant(_, let keyID): "key:" + keyID
        case .bootstrap: "bootstrap"
        case nil: "ip:" + Self.address(of: context.peer)
        }
    }

    /// `ipv4:127.0.0.1:52144` → `127.0.0.1`, `ipv6:[::1]:443` → `::1`; anything else unchanged.
    static func address(of peer: String) -> String {
        var rest = Substring(peer)
        if let colon = rest.firstIndex(of: ":"), rest[..<colon] == "ipv4" || rest[..<colon] == "ipv6" {
            rest = rest[rest.index(after: colon)...]
        } else {
            return peer
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            return String(rest[rest.index(after: rest.startIndex)..<close])
        }
        if let colon = rest.lastIndex(of: ":") {
            return String(rest[..<colon])
        }
        return String(rest)
    }

    private static func seconds(_ milliseconds: Int) -> Int {
        (milliseconds + 999) / 1000
    }
}
