internal import NIOCore

extension TimeAmount {
    /// The same span as a Swift `Duration`, at nanosecond precision.
    ///
    /// - Parameter duration: The duration.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
