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
    /// Values kept for the life of the call's connection (HTTP/2 connections only; `nil` for
    /// calls that arrive otherwise).
    public let connection: ConnectionValues?
    /// How the call arrived.
    public var transport: CallTransport

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - descriptor: The method being called.
    ///   - requestMetadata: The request metadata.
    ///   - peer: The remote peer.
    ///   - deadline: The call's deadline, if any.
    ///   - requestID: The request id.
    ///   - connection: The values of the call's connection, when it has one that outlives the call.
    ///   - transport: How the call arrived (gRPC unless given).
    public init(
        descriptor: MethodDescriptor,
        requestMetadata: Metadata,
        peer: String,
        deadline: ContinuousClock.Instant? = nil,
        requestID: String,
        connection: ConnectionValues? = nil,
        transport: CallTransport = .grpc
    ) {
        self.descriptor = descriptor
        self.requestMetadata = requestMetadata
        self.peer = peer
        self.deadline = deadline
        self.requestID = requestID
        self.response = ResponseMetadata()
        self.values = ContextValues()
        self.connection = connection
        self.transport = transport
    }
}
