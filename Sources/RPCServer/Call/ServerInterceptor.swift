/// Runs around every RPC the server handles: authentication, rate limits, metrics, logging.
///
/// Interceptors see the method, metadata, peer and deadline through the context, may replace
/// the context passed on, and may throw to end the call before the handler runs.
///
/// `intercept` and `next` run on their caller's executor (`nonisolated(nonsending)`, the
/// package default), so a chain adds no executor hop per level.
///
/// Which methods an interceptor runs for is decided once per method, when the server is built
/// (``applies(to:)``, through ``RPCRouter/intercepted(by:)``), not on every call.
///
/// An interceptor that can usually decide a call without suspending, and has nothing to do
/// after the handler, also implements ``interceptImmediately(context:)``: the chain calls it
/// first, in a plain loop, and runs the interceptor's `intercept` (with its frame and `next`
/// closure) only when it answers ``ImmediateInterception/suspend``.
///
/// ```swift
/// struct RequireKey: ServerInterceptor {
///     func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
///         guard context.requestMetadata.firstString(forKey: "x-api-key") != nil else {
///             throw RPCError(code: .unauthenticated, message: "x-api-key is missing")
///         }
///         try await next(context)
///     }
/// }
/// ```
public protocol ServerInterceptor: Sendable {
    /// Intercepts one call.
    ///
    /// - Parameters:
    ///   - context: The call's context.
    ///   - next: Runs the rest of the chain and then the handler.
    nonisolated(nonsending) func intercept(
        context: ServerContext,
        next: nonisolated(nonsending) (ServerContext) async throws -> Void
    ) async throws

    /// Whether the interceptor runs around calls of `method`; asked once per method when the
    /// chain is built, never per call.
    ///
    /// - Parameter method: A registered method.
    /// - Returns: `true` unless the interceptor says otherwise.
    func applies(to method: MethodDescriptor) -> Bool

    /// Handles a call without suspending when the interceptor can: may change `context`, and
    /// answers ``ImmediateInterception/proceed`` to pass the call on or throws to end it. When it
    /// answers ``ImmediateInterception/suspend``, ``intercept(context:next:)`` runs for the call
    /// with the context as changed here (which may carry work started here).
    ///
    /// - Parameter context: The call's context.
    /// - Returns: Whether the call goes on or `intercept` must run.
    func interceptImmediately(context: inout ServerContext) throws -> ImmediateInterception
}

extension ServerInterceptor {
    /// Every method.
    public func applies(to method: MethodDescriptor) -> Bool { true }

    /// Always ``ImmediateInterception/suspend``: the interceptor works in ``intercept(context:next:)``.
    public func interceptImmediately(context: inout ServerContext) throws -> ImmediateInterception { .suspend }
}

extension Array where Element == any ServerInterceptor {
    /// The interceptors that apply to `method`, in order.
    ///
    /// - Parameter method: A registered method.
    func applying(to method: MethodDescriptor) -> [any ServerInterceptor] {
        self.filter { $0.applies(to: method) }
    }

    /// Runs the chain in order, then `handler`.
    ///
    /// - Parameters:
    ///   - context: The call's context.
    ///   - handler: The innermost step.
    func run(context: ServerContext, handler: (ServerContext) async throws -> Void) async throws {
        try await self.run(from: 0, context: context, handler: handler)
    }

    /// Interceptors that decide immediately are passed in this loop; the first that needs to
    /// suspend runs with the rest of the chain as its `next`.
    private func run(from start: Int, context: ServerContext, handler: (ServerContext) async throws -> Void)
        async throws
    {
        var context = context
        var index = start
        while index < self.count {
            let interceptor = self[index]
            guard try interceptor.interceptImmediately(context: &context) == .proceed else {
                let rest = index + 1
                try await interceptor.intercept(context: context) { next in
                    try await self.run(from: rest, context: next, handler: handler)
                }
                return
            }
            index += 1
        }
        try await handler(context)
    }
}
