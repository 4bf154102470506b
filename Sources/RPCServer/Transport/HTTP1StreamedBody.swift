/// The body of an HTTP/1.1 request handed to its responder while it arrives
/// (``HTTPResponder/streamsRequestBody(method:target:)``). Used only on the connection's event
/// loop.
///
/// The connection reads from the socket only while fewer than ``pauseBytes`` are waiting for the
/// responder, and reads on once it has taken them down to ``resumeBytes``: one upload holds
/// about a megabyte of memory however large it is.
final class HTTP1StreamedBody {
    /// Receives the body's chunks.
    let continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation
    /// The route's body limit.
    let limit: Int
    /// Bytes received so far.
    var received = 0
    /// Bytes handed over and not yet taken by the responder.
    var queued = 0
    /// Whether reading is paused until the responder catches up.
    var paused = false
    /// Whether bytes arrived or were taken since the body clock last looked.
    var progressed = false

    /// Waiting bytes above which reading pauses.
    static let pauseBytes = 1024 * 1024
    /// Waiting bytes at or below which a paused body reads on.
    static let resumeBytes = 256 * 1024

    /// Creates the body of one request.
    ///
    /// - Parameters:
    ///   - continuation: Receives the chunks.
    ///   - limit: The route's body limit.
    init(continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation, limit: Int) {
        self.continuation = continuation
        self.limit = limit
    }
}
