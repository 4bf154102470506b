package import SwiftProtobuf

/// The table of methods a server answers, keyed by gRPC path.
///
/// Generated `registerMethods(with:)` functions fill it; transports look handlers up by the
/// request's `:path`. The router is plain data: list it with ``methods``.
///
/// ```swift
/// var router = RPCRouter()
/// tenantService.registerMethods(with: &router)
/// ```
package struct RPCRouter: Sendable {
    private var handlers: [String: RPCMethodHandler]

    /// Creates an empty router.
    package init() {
        self.handlers = [:]
    }

    /// The registered methods, sorted by path.
    package var methods: [MethodDescriptor] {
        self.handlers.values.map(\.descriptor).sorted { $0.path < $1.path }
    }

    /// The fully qualified names of the registered services, sorted.
    package var serviceNames: [String] {
        Array(Set(self.handlers.values.map(\.descriptor.service))).sorted()
    }

    /// The handler for a gRPC path such as `/metachat.v1.TenantService/GetTenant`.
    ///
    /// - Parameter path: The request's `:path`.
    /// - Returns: The handler, or `nil` when no method has that path.
    package func handler(forPath path: Substring) -> RPCMethodHandler? {
        self.handlers[String(path)]
    }

    /// The handler registered for a `/service/method` path.
    ///
    /// - Parameter path: The request's `:path`.
    /// - Returns: The handler, or `nil` for an unknown method.
    package func handler(forPath path: String) -> RPCMethodHandler? {
        self.handlers[path]
    }

    /// This router with each method's ``RPCMethodHandler/interceptors`` set to those of
    /// `interceptors` that apply to it (``ServerInterceptor/applies(to:)``), in order; decided
    /// here once, so calls run their chain without asking.
    ///
    /// - Parameter interceptors: The server's chain; replaces any set before.
    /// - Returns: The router the server's faces dispatch through.
    package func intercepted(by interceptors: [any ServerInterceptor]) -> RPCRouter {
        var router = self
        for (path, handler) in self.handlers {
            var handler = handler
            handler.interceptors = interceptors.applying(to: handler.descriptor)
            router.handlers[path] = handler
        }
        return router
    }

    /// Registers an erased handler, replacing any handler with the same path.
    ///
    /// - Parameter handler: The handler.
    package mutating func register(_ handler: RPCMethodHandler) {
        self.handlers[handler.descriptor.path] = handler
    }

    /// Registers a unary method.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - deserializer: Decodes the request.
    ///   - serializer: Encodes the response.
    ///   - handler: Answers one request with one response.
    @inlinable
    package mutating func registerUnary<Request, Response>(
        _ descriptor: MethodDescriptor,
        deserializer: some MessageDeserializer<Request>,
        serializer: some MessageSerializer<Response>,
        handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        self.register(
            RPCMethodHandler(descriptor: descriptor) { (request: [UInt8], context: ServerContext) in
                try serializer.serialize(try await handler(try deserializer.deserialize(request), context))
            }
        )
    }

    /// Registers a unary method answering a protobuf message: as ``registerUnary(_:deserializer:serializer:handler:)``,
    /// and the handler's message is also available unencoded
    /// (``RPCMethodHandler/unaryMessageBody``), so the REST bridge renders JSON from it directly.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - deserializer: Decodes the request.
    ///   - serializer: Encodes the response in the binary format.
    ///   - handler: Answers one request with one response.
    @inlinable
    package mutating func registerUnary<Request, Response: SwiftProtobuf.Message>(
        _ descriptor: MethodDescriptor,
        deserializer: some MessageDeserializer<Request>,
        serializer: ProtobufSerializer<Response>,
        handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        self.register(
            RPCMethodHandler(
                descriptor: descriptor,
                unary: { (request: [UInt8], context: ServerContext) in
                    try serializer.serialize(try await handler(try deserializer.deserialize(request), context))
                },
                unaryMessage: { (request: [UInt8], context: ServerContext) in
                    try await handler(try deserializer.deserialize(request), context)
                }
            )
        )
    }

    /// Registers a server-streaming method.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - deserializer: Decodes the request.
    ///   - serializer: Encodes each response.
    ///   - handler: Answers one request with responses written to the writer.
    @inlinable
    package mutating func registerServerStreaming<Request, Response: Sendable>(
        _ descriptor: MethodDescriptor,
        deserializer: some MessageDeserializer<Request>,
        serializer: some MessageSerializer<Response>,
        handler: @escaping @Sendable (Request, RPCWriter<Response>, ServerContext) async throws -> Void
    ) {
        self.register(
            RPCMethodHandler(descriptor: descriptor) { requests, responses, context in
                let request = try deserializer.deserialize(try await requests.onlyRequest(of: descriptor.path))
                try await handler(request, responses.mapMessages { try serializer.serialize($0) }, context)
            }
        )
    }

    /// Registers a server-streaming method answering protobuf messages: as
    /// ``registerServerStreaming(_:deserializer:serializer:handler:)``, and the handler's messages
    /// are also available unencoded (``RPCMethodHandler/serverStreamingMessageBody``), so the REST
    /// bridge renders JSON from them directly.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - deserializer: Decodes the request.
    ///   - serializer: Encodes each response in the binary format.
    ///   - handler: Answers one request with responses written to the writer.
    @inlinable
    package mutating func registerServerStreaming<Request, Response: SwiftProtobuf.Message>(
        _ descriptor: MethodDescriptor,
        deserializer: some MessageDeserializer<Request>,
        serializer: ProtobufSerializer<Response>,
        handler: @escaping @Sendable (Request, RPCWriter<Response>, ServerContext) async throws -> Void
    ) {
        self.register(
            RPCMethodHandler(
                descriptor: descriptor,
                body: { requests, responses, context in
                    let request = try deserializer.deserialize(try await requests.onlyRequest(of: descriptor.path))
                    try await handler(request, responses.mapMessages { try serializer.serialize($0) }, context)
                },
                serverStreamingMessage: { request, responses, context in
                    let typed = responses.mapMessages { (message: Response) -> any SwiftProtobuf.Message in message }
                    try await handler(try deserializer.deserialize(request), typed, context)
                }
            )
        )
    }

    /// Registers a client-streaming method.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - deserializer: Decodes each request.
    ///   - serializer: Encodes the response.
    ///   - handler: Reads the request stream and answers with one response.
    @inlinable
    package mutating func registerClientStreaming<Request: Sendable, Response>(
        _ descriptor: MethodDescriptor,
        deserializer: some MessageDeserializer<Request>,
        serializer: some MessageSerializer<Response>,
        handler: @escaping @Sendable (RPCAsyncSequence<Request>, ServerContext) async throws -> Response
    ) {
        self.register(
            RPCMethodHandler(descriptor: descriptor) { requests, responses, context in
                let typed = requests.mapMessages { try deserializer.deserialize($0) }
                let response = try await handler(typed, context)
                try await responses.write(try serializer.serialize(response))
            }
        )
    }

    /// Registers a bidirectional-streaming method.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - deserializer: Decodes each request.
    ///   - serializer: Encodes each response.
    ///   - handler: Reads the request stream and writes responses.
    @inlinable
    package mutating func registerBidirectionalStreaming<Request: Sendable, Response: Sendable>(
        _ descriptor: MethodDescriptor,
        deserializer: some MessageDeserializer<Request>,
        serializer: some MessageSerializer<Response>,
        handler:
            @escaping @Sendable (RPCAsyncSequence<Request>, RPCWriter<Response>, ServerContext) async throws
            -> Void
    ) {
        self.register(
            RPCMethodHandler(descriptor: descriptor) { requests, responses, context in
                let typed = requests.mapMessages { try deserializer.deserialize($0) }
                try await handler(typed, responses.mapMessages { try serializer.serialize($0) }, context)
            }
        )
    }
}
