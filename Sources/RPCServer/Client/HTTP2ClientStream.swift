internal import NIOCore

/// The state of one client call's HTTP/2 stream, owned by the connection's event loop.
final class HTTP2ClientStream {
    /// The stream id.
    let streamID: Int32
    /// Request bytes (framed messages) not yet taken by nghttp2.
    var outbound = ByteBuffer()
    /// Whether the caller finished sending; the body ends once `outbound` drains.
    var requestEnded = false
    /// The header fields of the block being received.
    var headers: [(name: String, value: String)] = []
    /// Whether the response headers arrived (later blocks are trailers).
    var sawResponseHeaders = false
    /// Whether response messages are gzip (`grpc-encoding: gzip`).
    var responseGzip = false
    /// Splits the response body into messages.
    var deframer: GRPCMessageDeframer
    /// Delivers response messages; `nil` once the call ended.
    var responses: AsyncThrowingStream<[UInt8], any Error>.Continuation?

    init(streamID: Int32, maxMessageBytes: Int, responses: AsyncThrowingStream<[UInt8], any Error>.Continuation) {
        self.streamID = streamID
        self.deframer = GRPCMessageDeframer(maxMessageBytes: maxMessageBytes)
        self.responses = responses
    }

    /// The first value of a header in the current block.
    func header(_ name: String) -> String? {
        self.headers.first { $0.name == name }?.value
    }
}
