/// Carries calls from a client to a server: over HTTP/2, or in-process in tests.
///
/// A transport moves encoded messages only; the typed ``RPCClient`` encodes and decodes.
public protocol ClientTransport: Sendable {
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
}
