internal import Synchronization

/// What a handler sends back besides its messages: initial metadata with the response
/// headers, trailing metadata with the status, and whether its messages are compressed.
///
/// Handlers reach it through ``ServerContext/response``; set initial metadata before the first
/// response message is written, or it is sent with the trailers instead.
package final class ResponseMetadata: Sendable {
    private struct State {
        var initial = Metadata()
        var trailing = Metadata()
    }

    private let state = Mutex(State())
    /// The raw value of ``messageCompression``'s choice: read by the transport for each message
    /// it queues, so an atomic rather than the lock.
    private let compression = Atomic<UInt8>(MessageCompression.Choice.automatic.rawValue)

    /// Creates empty response metadata.
    package init() {}

    /// Adds metadata to send with the response headers.
    ///
    /// - Parameter metadata: The pairs to add.
    package func addInitial(_ metadata: Metadata) {
        self.state.withLock { $0.initial.append(contentsOf: metadata) }
    }

    /// Adds metadata to send with the status in the trailers.
    ///
    /// - Parameter metadata: The pairs to add.
    package func addTrailing(_ metadata: Metadata) {
        self.state.withLock { $0.trailing.append(contentsOf: metadata) }
    }

    /// The initial metadata added so far.
    package var initial: Metadata { self.state.withLock { $0.initial } }

    /// The trailing metadata added so far.
    package var trailing: Metadata { self.state.withLock { $0.trailing } }

    /// Whether the response messages queued from now on are compressed; ``MessageCompression/automatic``
    /// until set. Transports that compress (gRPC over HTTP/2) read it as each message is queued,
    /// so a streaming handler may change it between writes.
    package var messageCompression: MessageCompression {
        get {
            let raw = self.compression.load(ordering: .relaxed)
            return MessageCompression(MessageCompression.Choice(rawValue: raw) ?? .automatic)
        }
        set {
            self.compression.store(newValue.choice.rawValue, ordering: .relaxed)
        }
    }
}
