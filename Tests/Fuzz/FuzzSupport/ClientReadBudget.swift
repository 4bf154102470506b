internal import NIOCore
internal import NIOEmbedded

/// Plays the client's receive side: it takes the first `budget` bytes the server writes, then
/// stops reading, as a slow or stalled client does.
///
/// Writes within the budget complete (their bytes are dropped); later writes stay pending, and
/// the channel reports itself unwritable, until the connection closes, when they fail. This
/// bounds every input: a server stream that would produce without end (a huge `repeat`, SSE
/// heartbeats) waits on the client the way it would on a real socket.
final class ClientReadBudget: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var remaining: Int
    private var held: [EventLoopPromise<Void>] = []
    /// Bytes the server wrote, within the budget or not.
    private(set) var bytesWritten = 0
    /// The bytes read within the budget, kept only when `keepsBytes` is set (for tracing).
    private(set) var received: [UInt8] = []
    private let keepsBytes: Bool

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - budget: How many bytes the client reads before it stops.
    ///   - keepsBytes: Keep what is read in ``received``.
    init(budget: Int, keepsBytes: Bool = false) {
        self.remaining = budget
        self.keepsBytes = keepsBytes
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = self.unwrapOutboundIn(data)
        let count = bytes.readableBytes
        self.bytesWritten += count
        if self.remaining > 0 {
            if self.keepsBytes, case .byteBuffer(let buffer) = bytes {
                self.received += buffer.readableBytesView
            }
            self.remaining -= count
            promise?.succeed(())
            if self.remaining <= 0 {
                self.stopReading(context: context)
            }
        } else if let promise {
            self.held.append(promise)
        }
    }

    func flush(context: ChannelHandlerContext) {
        // Nothing to pass on: the bytes were dropped above.
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        self.failHeldWrites()
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failHeldWrites()
    }

    private func stopReading(context: ChannelHandlerContext) {
        guard let channel = context.channel as? EmbeddedChannel, channel.isWritable else { return }
        channel.isWritable = false
        context.fireChannelWritabilityChanged()
    }

    private func failHeldWrites() {
        let held = self.held
        self.held = []
        for promise in held {
            promise.fail(ChannelError.ioOnClosedChannel)
        }
    }
}
