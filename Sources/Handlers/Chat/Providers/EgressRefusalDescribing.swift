/// An error of the outbound HTTP client that refuses a destination (the egress policy); the
/// provider clients turn it into `FAILED_PRECONDITION` naming the host instead of retrying.
package protocol EgressRefusalDescribing: Error {
    /// Why the destination was refused, naming the host and address.
    var refusalMessage: String { get }
}
