/// Calls a router's handlers directly, without a socket: for tests of generated code and
/// handlers.
///
/// Messages still go through the same encoding and decoding as on the wire, and errors reach
/// the client exactly as a remote server would send them (``RPCError/from(_:)``).
package struct InProcessTransport: ClientTransport {
    private let router: RPCRouter

    /// Creates a transport serving calls from a router.
    ///
    /// - Parameter router: The methods to call.
    package init(router: RPCRouter) {
        self.router = router
    }

    package func call<Result: Sendable>(
        _ descriptor: MethodDescriptor,
        metadata: Metadata,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<[UInt8]>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<[UInt8]>) async throws -> Result
    ) async throws -> Result {
        guard let handler = self.router.handler(forPath: Substring(descriptor.path)) else {
            throw RPCError(code: .unimplemented, message: "Method \(descriptor.path) is not implemented.")
        }
        let context = ServerContext(
            descriptor: descriptor,
            requestMetadata: metadata,
            peer: "in-process",
            deadline: options.timeout.map { ContinuousClock.now.advanced(by: $0) },
            requestID: metadata.firstString(forKey: "x-request-id") ?? "in-process",
            transport: .inProcess
        )
        let (requestStream, requestContinuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let (responseStream, responseContinuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()

        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
            group.addTask {
                do {
                    try await requests(RPCWriter { requestContinuation.yield($0) })
                    requestContinuation.finish()
                } catch {
                    requestContinuation.finish(throwing: RPCError(code: .cancelled, message: "The client failed."))
                    throw error
                }
            }
            group.addTask {
                do {
                    try await handler.handle(
                        requests: RPCAsyncSequence(wrapping: requestStream),
                        responses: RPCWriter { responseContinuation.yield($0) },
                        context: context
                    )
                    responseContinuation.finish()
                } catch {
                    responseContinuation.finish(throwing: RPCError.from(error))
                }
            }
            let result = try await responses(RPCAsyncSequence(wrapping: responseStream))
            // The call ends when the response reader returns, as on the wire: a handler still
            // running (a watch, say) is cancelled rather than awaited.
            group.cancelAll()
            requestContinuation.finish()
            return result
        }
    }
}
