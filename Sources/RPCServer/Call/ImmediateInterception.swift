/// What ``ServerInterceptor/interceptImmediately(context:)`` did with a call.
package enum ImmediateInterception: Sendable, Hashable {
    /// The interceptor is done with the call; it goes on to the next interceptor or the handler
    /// with the context as changed.
    case proceed
    /// The interceptor needs to suspend (or to act after the handler):
    /// ``ServerInterceptor/intercept(context:next:)`` runs for the call instead, with the
    /// context as changed.
    case suspend
}
