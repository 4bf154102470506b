import NIOCore
import NIOPosix

/// Sends raw bytes to a server and collects everything it answers until it closes the
/// connection: lets tests see the exact HTTP/1.1 bytes on the wire.
enum RawHTTPClient {
    /// Collects inbound bytes and completes a promise when the channel closes.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        private var received = ByteBuffer()
        private let done: EventLoopPromise<ByteBuffer>
        private let marker: String?

        init(done: EventLoopPromise<ByteBuffer>, marker: String?) {
            self.done = done
            self.marker = marker
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = self.unwrapInboundIn(data)
            self.received.writeBuffer(&buffer)
            if let marker = self.marker, String(buffer: self.received).contains(marker) {
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.done.succeed(self.received)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // A reset ends the exchange like a close: the answer is what arrived before it.
            context.close(promise: nil)
        }
    }

    /// Connects, writes `request`, and returns every byte received until the server closes.
    ///
    /// - Parameters:
    ///   - request: The raw request bytes (end the last request with `Connection: close`).
    ///   - port: The server's port on 127.0.0.1.
    ///   - marker: Stop reading (and close) once the answer contains this text, for servers
    ///     that answer before the request ends.
    /// - Returns: The raw response text.
    static func exchange(_ request: String, port: Int, until marker: String? = nil) async throws -> String {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(done: promise, marker: marker))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        // The server may close before reading (e.g. over its connection limit): what it sent
        // until then, possibly nothing, is the answer.
        try? await channel.writeAndFlush(ByteBuffer(string: request)).get()
        let received = try await promise.futureResult.get()
        return String(decoding: received.readableBytesView, as: UTF8.self)
    }
}
