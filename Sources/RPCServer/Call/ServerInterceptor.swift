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
package protocol ServerInterceptor: Sendable {
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
    package func applies(to method: MethodDescriptor) -> Bool { true }

    /// Always ``ImmediateInterception/suspend``: the interceptor works in ``intercept(context:next:)``.
    package func interceptImmediately(context: inout ServerContext) throws -> ImmediateInterception { .suspend }
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

    /// Passes the call through the interceptors that decide immediately, in order, until one
    /// needs to suspend.
    ///
    /// - Parameters:
    ///   - start: The first interceptor to ask.
    ///   - context: The call's context, as the interceptors leave it.
    /// - Returns: The index of the interceptor that suspends, or `count` when all proceeded.
    /// - Throws: The error an interceptor ended the call with.
    func proceedImmediately(from start: Int = 0, _ context: inout ServerContext) throws -> Int {
        var index = start
        while index < self.count, try self[index].interceptImmediately(context: &context) == .proceed {
            index += 1
        }
        return index
    }

    /// Runs the interceptor at `index` (one that asked to suspend), with the rest of the chain
    /// and then `handler` as its `next`.
    ///
    /// - Parameters:
    ///   - index: The interceptor that suspends.
    ///   - context: The call's context.
    ///   - handler: The innermost step.
    func run(suspendingAt index: Int, context: ServerContext, handler: (ServerContext) async throws -> Void)
        async throws
    {
        try await self[index].intercept(context: context) { next in
            try await self.run(from: index + 1, context: next, handler: handler)
        }
    }

    /// The chain from `start` on: immediate decisions in a plain loop, the first interceptor
    /// that suspends with the rest as its `next`, then `handler`.
    private func run(from start: Int, context: ServerContext, handler: (ServerContext) async throws -> Void)
        async throws
    {
        var context = context
        let suspending = try self.proceedImmediately(from: start, &context)
        guard suspending < self.count else {
            try await handler(context)
            return
        }
        try await self.run(suspendingAt: suspending, context: context, handler: handler)
    }
}
