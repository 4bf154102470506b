internal import NIOCore

/// The state of one HTTP/2 request stream, owned by its connection's event loop.
///
/// A stream carries either a gRPC call (messages in, messages and a status out) or a plain
/// HTTP request for the REST face (a body in, a body out).
final class HTTP2ServerStream {
    /// What the stream carries; decided when its headers are complete.
    enum Kind {
        /// Headers still arriving.
        case pending
        /// A gRPC (or gRPC-Web) call.
        case grpc
        /// A plain HTTP request for the responder.
        case http
    }

    /// The stream id.
    let streamID: Int32
    /// When the request headers completed, for the call's latency.
    var startedAt = ContinuousClock.now
    /// The request header fields, names lower-case as HTTP/2 requires. Room for a typical gRPC
    /// request's fields from the start, so appending them does not reallocate several times.
    private(set) var headers: [HTTP2HeaderField] = {
        var headers: [HTTP2HeaderField] = []
        headers.reserveCapacity(12)
        return headers
    }()
    /// The first `:method`.
    private(set) var method: String?
    /// The first `:path`.
    private(set) var path: String?
    /// Whether ``path`` names a method the router serves (so it may label metrics).
    var routed = false
    /// The first `content-type`.
    private(set) var contentType: String?
    /// The first `content-length`.
    private(set) var contentLength: String?
    /// The first `grpc-timeout`.
    private(set) var grpcTimeout: String?
    /// The first `grpc-encoding`.
    private(set) var grpcEncoding: String?
    /// The first `grpc-accept-encoding`.
    private(set) var grpcAcceptEncoding: String?
    /// Every `x-forwarded-for` line, in arrival order.
    private(set) var forwardedFor: [String] = []
    /// The first `x-real-ip`.
    private(set) var realIP: String?
    /// What the stream carries.
    var kind: Kind = .pending
    /// The header list's size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (name + value + 32
    /// per field).
    var headerListBytes = 0

    // MARK: Request side

    /// For unary methods with a unary fast path: the handler and context waiting for the one
    /// request message, which is collected in ``unaryRequest``.
    var pendingUnary: PendingUnaryCall?
    /// The unary request message once complete.
    var unaryRequest: [UInt8]?

    /// Splits the gRPC request body into messages.
    var deframer: GRPCMessageDeframer
    /// Delivers request messages to the handler as they arrived (still compressed: a message
    /// is decompressed when the handler takes it, so queued messages cost their wire size);
    /// `nil` once finished.
    var requestContinuation: AsyncThrowingStream<GRPCMessageDeframer.Message, any Error>.Continuation?
    /// Bytes of complete messages delivered to the handler but not yet taken by it.
    var queuedRequestBytes = 0
    /// DATA bytes received whose flow-control window has not been returned yet.
    var unconsumedBytes = 0
    /// DATA bytes received and still held in memory for this stream (body, partial or queued
    /// messages, the unary request), counted in the connection's budget until released.
    var heldRequestBytes = 0
    /// Whether the stream waits for request bytes it needs, and since when: past the server's
    /// request-body timeout the request is refused.
    var bodyWait = BodyWait.none
    /// When the message the stream waits for began, after ``startedAt``, while ``bodyWait`` is
    /// `.message`.
    var messageWaitOffset = Duration.zero
    /// Whether request messages with the compressed flag are gzip (`grpc-encoding: gzip`).
    var requestGzip = false
    /// Whether response messages may be gzip-compressed (`grpc-accept-encoding` lists gzip).
    var responseGzip = false
    /// Whether the client finished sending.
    var requestEnded = false
    /// The plain HTTP request body.
    var httpBody = ByteBuffer()
    /// The largest plain HTTP request body accepted on this stream.
    var httpBodyLimit = 0
    /// Hands a streamed plain HTTP body to its responder (``HTTPResponder/streamsRequestBody(method:target:)``)
    /// while it arrives; `nil` for bodies collected whole and once the body has ended.
    var httpBodyContinuation: AsyncThrowingStream<[UInt8], any Error>.Continuation?
    /// Bytes of a streamed plain HTTP body received so far, against ``httpBodyLimit``.
    var httpBodyReceived = 0
    /// For a request answered before its streamed body ended: how many more of its bytes are
    /// read and dropped before the stream is reset. Clients that take a reset for a failure
    /// (curl before 8.x does) then see the answer whenever the rest of the body is not too large.
    var drainingBytesLeft: Int?
    /// Reset the stream (NO_ERROR) once the response has ended: the client is still sending a
    /// body the server refused (RFC 9113 §8.1).
    var resetAfterResponse = false

    // MARK: Response side

    /// Response bytes (framed messages, or the HTTP body) not yet taken by nghttp2.
    var outbound = OutboundBody()
    /// Whether the response headers were submitted.
    var headersSent = false
    /// Trailers to send once `outbound` is drained; set when the call finished.
    var pendingTrailers: [(name: String, value: String)]?
    /// Whether the body ends without trailers once drained (plain HTTP responses).
    var endsWithoutTrailers = false
    /// Whether the response is complete (status decided); later writes are refused.
    var responseFinished = false
    /// Metadata the handler sends with the headers and trailers.
    var responseMetadata: ResponseMetadata?
    /// A handler waiting for `outbound` to drain.
    var writerWaiter: CheckedContinuation<Void, any Error>?

    // MARK: Lifecycle

    /// The task running the handler.
    var task: Task<Void, Never>?
    /// The deadline timer.
    var deadlineTimer: Scheduled<Void>?
    /// Whether nghttp2 closed the stream; nothing may be submitted for it afterwards.
    var closed = false

    /// What request bytes a stream waits for. A byte, so the per-call bookkeeping is a store.
    enum BodyWait: UInt8 {
        /// None.
        case none
        /// The rest of its request (a plain HTTP body, a unary message), since ``startedAt``.
        case request
        /// The rest of a started gRPC message, since ``messageWaitOffset`` after ``startedAt``.
        case message
    }

    /// When the stream's request-body clock started, while it runs.
    var bodyWaitStartedAt: ContinuousClock.Instant? {
        switch self.bodyWait {
        case .none: nil
        case .request: self.startedAt
        case .message: self.startedAt + self.messageWaitOffset
        }
    }

    /// A unary call waiting for its request message: what running it takes, without the rest
    /// of its method's handler.
    struct PendingUnaryCall {
        /// The method's unary body.
        var unary: @Sendable ([UInt8], ServerContext) async throws -> [UInt8]
        /// The method's interceptors.
        var interceptors: [any ServerInterceptor]
        /// The call's context.
        var context: ServerContext
    }

    /// Creates the state of a new stream.
    ///
    /// - Parameters:
    ///   - streamID: The stream id.
    ///   - maxMessageBytes: The largest request message accepted.
    init(streamID: Int32, maxMessageBytes: Int) {
        self.streamID = streamID
        self.deframer = GRPCMessageDeframer(maxMessageBytes: maxMessageBytes)
    }

    /// Adds a received header field; the first of each field the server reads is kept in its
    /// property as well.
    ///
    /// - Parameter field: The field.
    func add(_ field: HTTP2HeaderField) {
        self.headers.append(field)
        switch field.role {
        case .method: self.method = self.method ?? field.value
        case .path: self.path = self.path ?? field.value
        case .contentType: self.contentType = self.contentType ?? field.value
        case .contentLength: self.contentLength = self.contentLength ?? field.value
        case .grpcTimeout: self.grpcTimeout = self.grpcTimeout ?? field.value
        case .grpcEncoding: self.grpcEncoding = self.grpcEncoding ?? field.value
        case .grpcAcceptEncoding: self.grpcAcceptEncoding = self.grpcAcceptEncoding ?? field.value
        case .forwardedFor: self.forwardedFor.append(field.value)
        case .realIP: self.realIP = self.realIP ?? field.value
        case .otherPseudo, .reserved, .metadata, .binaryMetadata: break
        }
    }
}
