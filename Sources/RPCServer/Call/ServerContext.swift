/// What a handler knows about the call it serves, besides its messages.
///
/// A context is copied several times on its way from the transport through the interceptors to
/// the handler; the fields fixed when the call starts live in one shared, immutable box, so a
/// copy costs one reference count rather than one per field. Setting a field replaces the box
/// for that copy only.
package struct ServerContext: Sendable {
    /// The fields fixed when the call starts.
    private struct Fields: Sendable {
        var descriptor: MethodDescriptor
        var requestMetadata: Metadata
        var peer: String
        var clientAddress: ClientAddress
        var deadline: ContinuousClock.Instant?
        var requestID: String
        var response: ResponseMetadata
        var connection: ConnectionValues?
        var transport: CallTransport
        var requestCompression: RequestCompressionFlag?
    }

    /// Holds ``Fields`` for every copy of a context until one of them sets a field.
    private final class Box: Sendable {
        let fields: Fields

        init(_ fields: Fields) {
            self.fields = fields
        }
    }

    private var box: Box

    /// Values interceptors attach for the handler, e.g. the authenticated caller.
    package var values: ContextValues

    /// The method being called.
    package var descriptor: MethodDescriptor {
        get { self.box.fields.descriptor }
        set { self.update { $0.descriptor = newValue } }
    }

    /// The request metadata (headers) the client sent.
    package var requestMetadata: Metadata {
        get { self.box.fields.requestMetadata }
        set { self.update { $0.requestMetadata = newValue } }
    }

    /// The remote peer, e.g. `ipv4:127.0.0.1:52144`, or `in-process`.
    package var peer: String {
        get { self.box.fields.peer }
        set { self.update { $0.peer = newValue } }
    }

    /// The client's address as per-address limits count it: the peer's IP, or the address a
    /// trusted proxy reported for it (``ClientAddressResolver``).
    package var clientAddress: ClientAddress {
        get { self.box.fields.clientAddress }
        set { self.update { $0.clientAddress = newValue } }
    }

    /// When the call must be finished by, from the client's `grpc-timeout`; `nil` for none.
    package var deadline: ContinuousClock.Instant? {
        get { self.box.fields.deadline }
        set { self.update { $0.deadline = newValue } }
    }

    /// The request id used in logs and echoed as `x-request-id`.
    package var requestID: String {
        get { self.box.fields.requestID }
        set { self.update { $0.requestID = newValue } }
    }

    /// Metadata the handler sends back with the response headers and trailers.
    package var response: ResponseMetadata { self.box.fields.response }

    /// Values kept for the life of the call's connection (HTTP/2 connections only; `nil` for
    /// calls that arrive otherwise).
    package var connection: ConnectionValues? { self.box.fields.connection }

    /// How the call arrived.
    package var transport: CallTransport {
        get { self.box.fields.transport }
        set { self.update { $0.transport = newValue } }
    }

    /// Whether the request message the handler received last arrived compressed (its gRPC
    /// compressed flag was set); `false` before the first message and for transports that do
    /// not accept compressed requests.
    ///
    /// A unary handler reads it for its one request. A streaming handler reads it right after
    /// each message its request sequence yields: it changes as the handler takes the next one.
    ///
    /// ```swift
    /// for try await request in requests {
    ///     let arrivedCompressed = context.requestMessageWasCompressed
    ///     ...
    /// }
    /// ```
    package var requestMessageWasCompressed: Bool {
        self.box.fields.requestCompression?.lastWasCompressed ?? false
    }

    /// Where the transport records ``requestMessageWasCompressed``; `nil` for calls that cannot
    /// carry compressed messages.
    var requestCompression: RequestCompressionFlag? { self.box.fields.requestCompression }

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - descriptor: The method being called.
    ///   - requestMetadata: The request metadata.
    ///   - peer: The remote peer.
    ///   - clientAddress: The client's address; read from `peer` when not given.
    ///   - deadline: The call's deadline, if any.
    ///   - requestID: The request id.
    ///   - connection: The values of the call's connection, when it has one that outlives the call.
    ///   - transport: How the call arrived (gRPC unless given).
    package init(
        descriptor: MethodDescriptor,
        requestMetadata: Metadata,
        peer: String,
        clientAddress: ClientAddress? = nil,
        deadline: ContinuousClock.Instant? = nil,
        requestID: String,
        connection: ConnectionValues? = nil,
        transport: CallTransport = .grpc
    ) {
        self.init(
            descriptor: descriptor,
            requestMetadata: requestMetadata,
            peer: peer,
            clientAddress: clientAddress,
            deadline: deadline,
            requestID: requestID,
            connection: connection,
            transport: transport,
            requestCompression: nil
        )
    }

    /// Creates a context whose transport records ``requestMessageWasCompressed`` in
    /// `requestCompression`.
    init(
        descriptor: MethodDescriptor,
        requestMetadata: Metadata,
        peer: String,
        clientAddress: ClientAddress?,
        deadline: ContinuousClock.Instant?,
        requestID: String,
        connection: ConnectionValues?,
        transport: CallTransport,
        requestCompression: RequestCompressionFlag?
    ) {
        self.box = Box(
            Fields(
                descriptor: descriptor,
                requestMetadata: requestMetadata,
                peer: peer,
                clientAddress: clientAddress ?? ClientAddress(peer: peer) ?? .unknown,
                deadline: deadline,
                requestID: requestID,
                response: ResponseMetadata(),
                connection: connection,
                transport: transport,
                requestCompression: requestCompression
            )
        )
        self.values = ContextValues()
    }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = self.box.fields
        change(&fields)
        self.box = Box(fields)
    }
}
