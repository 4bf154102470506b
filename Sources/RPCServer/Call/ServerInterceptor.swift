/// Runs around every RPC the server handles: authentication, rate limits, metrics, logging.
///
/// Interceptors see the method, metadata, peer and deadline through the context, may replace
/// the context passed on, and may throw to end the call before the handler runs.
///
/// `intercept` and `next` run on their caller's executor (`nonisolated(nonsending)`, the
/// package default), so a chain adds no executor hop per level.
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
}

extension Array where Element == any ServerInterceptor {
    /// Runs the chain in order, then `handler`.
    ///
    /// - Parameters:
    ///   - context: The call's context.
    ///   - handler: The innermost step.
    func run(context: ServerContext, handler: (ServerContext) async throws -> Void) async throws {
        try await self.run(from: 0, context: context, handler: handler)
    }

    private func run(from index: Int, context: ServerContext, handler: (ServerContext) async throws -> Void)
        async throws
    {
        guard index < self.count else {
            try await handler(context)
            return
        }
        try await self[index].intercept(context: context) { next in
            try await self.run(from: index + 1, context: next, handler: handler)
        }
    }
}
