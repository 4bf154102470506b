internal import Synchronization

/// Whether the request message a handler took last arrived compressed, for
/// ``ServerContext/requestMessageWasCompressed``.
///
/// Only calls whose request declares a message encoding (`grpc-encoding`) can carry compressed
/// messages, so the transport creates one for those calls alone and the others allocate
/// nothing. The transport records each message's flag as the handler takes the message: at
/// once for a unary call's one message, from the handler's own task for a stream's, so the flag
/// matches the message the handler just received.
final class RequestCompressionFlag: Sendable {
    private let compressed = Atomic<Bool>(false)

    /// Creates a flag that reads `false` until a compressed message is recorded.
    init() {}

    /// Records the compressed flag of the message the handler takes now.
    ///
    /// - Parameter compressed: Whether the message's compressed flag was set.
    func record(compressed: Bool) {
        self.compressed.store(compressed, ordering: .relaxed)
    }

    /// Whether the message recorded last was compressed.
    var lastWasCompressed: Bool {
        self.compressed.load(ordering: .relaxed)
    }
}
