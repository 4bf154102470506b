/// Makes typed calls over a ``ClientTransport``; generated clients are thin wrappers over it.
package struct RPCClient: Sendable {
    /// The transport calls travel over.
    package let transport: any ClientTransport

    /// Creates a client.
    ///
    /// - Parameter transport: The transport calls travel over.
    package init(transport: any ClientTransport) {
        self.transport = transport
    }

    /// Makes a unary call.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - request: The request.
    ///   - serializer: Encodes the request.
    ///   - deserializer: Decodes the response.
    ///   - metadata: Request metadata.
    ///   - options: Call options.
    /// - Returns: The response.
    /// - Throws: ``RPCError`` when the call ends with a non-OK status.
    package func unary<Request: Sendable, Response: Sendable>(
        _ descriptor: MethodDescriptor,
        request: Request,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        metadata: Metadata,
        options: CallOptions
    ) async throws -> Response {
        let encoded = try serializer.serialize(request)
        let response = try await self.transport.unary(
            descriptor, request: encoded, metadata: metadata, options: options)
        return try deserializer.deserialize(response)
    }

    /// Makes a server-streaming call.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - request: The request.
    ///   - serializer: Encodes the request.
    ///   - deserializer: Decodes each response.
    ///   - metadata: Request metadata.
    ///   - options: Call options.
    ///   - onResponse: Reads the responses; the call ends when it returns.
    /// - Returns: What `onResponse` returned.
    package func serverStreaming<Request: Sendable, Response: Sendable, Result: Sendable>(
        _ descriptor: MethodDescriptor,
        request: Request,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        metadata: Metadata,
        options: CallOptions,
        onResponse: @escaping @Sendable (RPCAsyncSequence<Response>) async throws -> Result
    ) async throws -> Result {
        let encoded = try serializer.serialize(request)
        return try await self.transport.call(
            descriptor,
            metadata: metadata,
            options: options,
            requests: { try await $0.write(encoded) },
            responses: { try await onResponse($0.mapMessages { try deserializer.deserialize($0) }) }
        )
    }

    /// Makes a client-streaming call.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - serializer: Encodes each request.
    ///   - deserializer: Decodes the response.
    ///   - metadata: Request metadata.
    ///   - options: Call options.
    ///   - requestProducer: Writes the requests; the request stream ends when it returns.
    /// - Returns: The response.
    package func clientStreaming<Request: Sendable, Response: Sendable>(
        _ descriptor: MethodDescriptor,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        metadata: Metadata,
        options: CallOptions,
        requestProducer: @escaping @Sendable (RPCWriter<Request>) async throws -> Void
    ) async throws -> Response {
        try await self.transport.call(
            descriptor,
            metadata: metadata,
            options: options,
            requests: { try await requestProducer($0.mapMessages { try serializer.serialize($0) }) },
            responses: { try deserializer.deserialize(try await $0.onlyResponse(of: descriptor.path)) }
        )
    }

    /// Makes a bidirectional-streaming call.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - serializer: Encodes each request.
    ///   - deserializer: Decodes each response.
    ///   - metadata: Request metadata.
    ///   - options: Call options.
    ///   - requestProducer: Writes the requests; the request stream ends when it returns.
    ///   - onResponse: Reads the responses; the call ends when it returns.
    /// - Returns: What `onResponse` returned.
    package func bidirectionalStreaming<Request: Sendable, Response: Sendable, Result: Sendable>(
        _ descriptor: MethodDescriptor,
        serializer: some MessageSerializer<Request>,
        deserializer: some MessageDeserializer<Response>,
        metadata: Metadata,
        options: CallOptions,
        requestProducer: @escaping @Sendable (RPCWriter<Request>) async throws -> Void,
        onResponse: @escaping @Sendable (RPCAsyncSequence<Response>) async throws -> Result
    ) async throws -> Result {
        try await self.transport.call(
            descriptor,
            metadata: metadata,
            options: options,
            requests: { try await requestProducer($0.mapMessages { try serializer.serialize($0) }) },
            responses: { try await onResponse($0.mapMessages { try deserializer.deserialize($0) }) }
        )
    }
}
