/// What a handler knows about the call it serves, besides its messages.
public struct ServerContext: Sendable {
    /// The method being called.
    public var descriptor: MethodDescriptor
    /// The request metadata (headers) the client sent.
    public var requestMetadata: Metadata
    /// The remote peer, e.g. `ipv4:127.0.0.1:52144`, or `in-process`.
    public var peer: String
    /// When the call must be finished by, from the client's `grpc-timeout`; `nil` for none.
    public var deadline: ContinuousClock.Instant?
    /// The request id used in logs and echoed as `x-request-id`.
    public var requestID: String
    /// Metadata the handler sends back with the response headers and trailers.
    public let response: ResponseMetadata
    /// Values interceptors attach for the handler, e.g. the authenticated caller.
    public var values: ContextValues

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - descriptor: The method being called.
    ///   - requestMetadata: The request metadata.
    ///   - peer: The remote peer.
    ///   - deadline: The call's deadline, if any.
    ///   - requestID: The request id.
    public init(
        descriptor: MethodDescriptor,
        requestMetadata: Metadata,
        peer: String,
        deadline: ContinuousClock.Instant? = nil,
        requestID: String
    ) {
        self.descriptor = descriptor
        self.requestMetadata = requestMetadata
        self.peer = peer
        self.deadline = deadline
        self.requestID = requestID
        self.response = ResponseMetadata()
        self.values = ContextValues()
    }
}
