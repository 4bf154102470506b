internal import Synchronization

/// The metadata a handler sends back: initial metadata with the response headers, trailing
/// metadata with the status.
///
/// Handlers reach it through ``ServerContext/response``; set initial metadata before the first
/// response message is written, or it is sent with the trailers instead.
public final class ResponseMetadata: Sendable {
    private struct State {
        var initial = Metadata()
        var trailing = Metadata()
    }

    private let state = Mutex(State())

    /// Creates empty response metadata.
    public init() {}

    /// Adds metadata to send with the response headers.
    ///
    /// - Parameter metadata: The pairs to add.
    public func addInitial(_ metadata: Metadata) {
        self.state.withLock { $0.initial.append(contentsOf: metadata) }
    }

    /// Adds metadata to send with the status in the trailers.
    ///
    /// - Parameter metadata: The pairs to add.
    public func addTrailing(_ metadata: Metadata) {
        self.state.withLock { $0.trailing.append(contentsOf: metadata) }
    }

    /// The initial metadata added so far.
    public var initial: Metadata { self.state.withLock { $0.initial } }

    /// The trailing metadata added so far.
    public var trailing: Metadata { self.state.withLock { $0.trailing } }
}
