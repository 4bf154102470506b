/// Carries calls from a client to a server: over HTTP/2, or in-process in tests.
///
/// A transport moves encoded messages only; the typed ``RPCClient`` encodes and decodes.
package protocol ClientTransport: Sendable {
    /// Runs one call.
    ///
    /// - Parameters:
    ///   - descriptor: The method to call.
    ///   - metadata: Request metadata.
    ///   - options: Call options.
    ///   - requests: Writes the encoded request messages; the request stream ends when it
    ///     returns.
    ///   - responses: Reads the encoded response messages; the sequence throws ``RPCError``
    ///     when the call ends with a non-OK status.
    /// - Returns: What `responses` returned.
    func call<Result: Sendable>(
        _ descriptor: MethodDescriptor,
        metadata: Metadata,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<[UInt8]>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<[UInt8]>) async throws -> Result
    ) async throws -> Result

    /// Makes a unary call; transports may override this with a faster path.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - request: The encoded request.
    ///   - metadata: Request metadata.
    ///   - options: Call options.
    /// - Returns: The encoded response.
    func unary(
        _ descriptor: MethodDescriptor,
        request: [UInt8],
        metadata: Metadata,
        options: CallOptions
    ) async throws -> [UInt8]
}

extension ClientTransport {
    package func unary(
        _ descriptor: MethodDescriptor,
        request: [UInt8],
        metadata: Metadata,
        options: CallOptions
    ) async throws -> [UInt8] {
        try await self.call(
            descriptor,
            metadata: metadata,
            options: options,
            requests: { try await $0.write(request) },
            responses: { try await $0.onlyResponse(of: descriptor.path) }
        )
    }
}
