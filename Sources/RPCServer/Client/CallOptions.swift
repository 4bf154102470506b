/// Per-call settings a client chooses.
package struct CallOptions: Sendable, Hashable {
    /// How long the call may take; sent as `grpc-timeout`. `nil` for no deadline.
    package var timeout: Duration?

    /// Creates options.
    ///
    /// - Parameter timeout: The call's timeout, or `nil` for none.
    package init(timeout: Duration? = nil) {
        self.timeout = timeout
    }

    /// No timeout.
    package static var defaults: CallOptions { CallOptions() }
}
