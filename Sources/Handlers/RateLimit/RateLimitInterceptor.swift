package import RPCServer

/// Limits how many calls a caller makes per window, after ``AuthenticationInterceptor``.
///
/// The subject is the API key (``Principal``'s key id; the bootstrap key is one subject), or the
/// client's address (``ServerContext/clientAddress``, IPv6 counted per /64) for calls without credentials. A
/// tenant's `settings.rate_limit` overrides the default policy for its keys.
///
/// A call over the limit ends with `RESOURCE_EXHAUSTED` (HTTP 429) carrying `ratelimit-limit`,
/// `ratelimit-remaining`, `ratelimit-reset` and `retry-after` (seconds) in its metadata, on
/// every face. Calls within the limit carry the first three only when they came through the
/// REST bridge (``CallTransport/http``), which sends them as headers, as HTTP clients expect;
/// gRPC and gRPC-Web answers within the limit carry none, which keeps three literal headers out
/// of every response on the hot path.
package struct RateLimitInterceptor: ServerInterceptor {
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
    package init(
        limiter: RateLimiter,
        defaults: RateLimitPolicy,
        exemptMethods: MethodPatternList = MethodPatternList(["/grpc.health.v1.Health/*", "/grpc.reflection.*"])
    ) {
        self.limiter = limiter
        self.defaults = defaults
        self.exemptMethods = exemptMethods
    }

    /// Every method except the exempt ones.
    package func applies(to method: MethodDescriptor) -> Bool {
        !self.exemptMethods.contains(method)
    }

    /// Decides from this instance's lease without suspending (the common case for a busy
    /// caller); when Redis must be asked, the check started here is finished in `intercept`.
    package func interceptImmediately(context: inout ServerContext) throws -> ImmediateInterception {
        let admission: RateLimiter.Admission
        if let caller = context.caller {
            let policy = self.policy(of: caller)
            // Only REST answers within the limit carry the decision's details.
            let quick = context.transport != .http
            if quick, self.limiter.admitQuickly(policy: policy, rememberingIn: caller.rateLimitEntry) {
                return .proceed
            }
            admission = self.limiter.admit(
                subject: caller.rateLimitSubject, policy: policy, rememberingIn: caller.rateLimitEntry, quick: quick)
        } else {
            let (subject, policy) = self.subjectAndPolicy(of: context)
            admission = self.limiter.admit(subject: subject, policy: policy)
        }
        switch admission {
        case .decided(let decision):
            try Self.apply(decision, to: context)
            return .proceed
        case .pending(let pending):
            context.values[PendingRateLimitCheckKey.self] = pending
            return .suspend
        }
    }

    package func intercept(
        context: ServerContext,
        next: (ServerContext) async throws -> Void
    ) async throws {
        var context = context
        let decision: RateLimitDecision
        if let pending = context.values[PendingRateLimitCheckKey.self] {
            context.values[PendingRateLimitCheckKey.self] = nil
            decision = await self.limiter.finish(pending)
        } else {
            let (subject, policy) = self.subjectAndPolicy(of: context)
            decision = await self.limiter.check(subject: subject, policy: policy)
        }
        try Self.apply(decision, to: context)
        try await next(context)
    }

    /// Whose allowance a call uses, and under which limit.
    private func subjectAndPolicy(of context: ServerContext) -> (subject: String, policy: RateLimitPolicy) {
        guard let caller = context.caller else {
            return ("ip:" + context.clientAddress.rateLimitKey, self.defaults)
        }
        return (caller.rateLimitSubject, self.policy(of: caller))
    }

    /// The limit of an authenticated caller: the defaults, with its tenant's override applied.
    private func policy(of caller: AuthenticatedCaller) -> RateLimitPolicy {
        caller.rateLimit.map { self.defaults.applying($0) } ?? self.defaults
    }

    /// Lets an admitted call go on (adding the `ratelimit-*` headers on REST) or ends a refused
    /// one with `RESOURCE_EXHAUSTED`.
    private static func apply(_ decision: RateLimitDecision, to context: ServerContext) throws {
        if decision.allowed {
            // gRPC clients learn of limits from RESOURCE_EXHAUSTED; plain HTTP clients expect
            // the headers on every response.
            if context.transport == .http {
                context.response.addInitial(Self.metadata(of: decision))
            }
            return
        }
        var metadata = Self.metadata(of: decision)
        metadata.addString(String(decision.retryAfterSeconds), forKey: "retry-after")
        throw RPCError(
            code: .resourceExhausted,
            message: "Rate limit of \(decision.limit) requests exceeded; retry after the time in retry-after.",
            metadata: metadata)
    }

    /// `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` (seconds) for a decision.
    private static func metadata(of decision: RateLimitDecision) -> Metadata {
        var metadata = Metadata()
        metadata.reserveCapacity(4)
        metadata.addString(String(decision.limit), forKey: "ratelimit-limit")
        metadata.addString(String(decision.remaining), forKey: "ratelimit-remaining")
        metadata.addString(String(Self.seconds(decision.resetMilliseconds)), forKey: "ratelimit-reset")
        return metadata
    }

    private static func seconds(_ milliseconds: Int) -> Int {
        (milliseconds + 999) / 1000
    }
}

/// A rate-limit check ``RateLimitInterceptor/interceptImmediately(context:)`` started and
/// `intercept` finishes.
private enum PendingRateLimitCheckKey: ContextKey {
    typealias Value = RateLimiter.PendingCheck
}
