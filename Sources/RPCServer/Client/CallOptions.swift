/// Per-call settings a client chooses.
public struct CallOptions: Sendable, Hashable {
    /// How long the call may take; sent as `grpc-timeout`. `nil` for no deadline.
    public var timeout: Duration?

    /// Creates options.
    ///
    /// - Parameter timeout: The call's timeout, or `nil` for none.
    public init(timeout: Duration? = nil) {
        self.timeout = timeout
    }

    /// No timeout.
    public static var defaults: CallOptions { CallOptions() }
}
