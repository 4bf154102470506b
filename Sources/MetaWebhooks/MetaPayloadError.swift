/// Why a callback body is not a Meta webhook payload the channels read.
public struct MetaPayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, e.g. "body is not JSON".
    public var description: String

    /// An error.
    public init(_ description: String) {
        self.description = description
    }
}
