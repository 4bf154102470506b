package import SwiftProtobuf

/// One registered method with its typed decoding, handler and encoding erased to bytes.
///
/// Every call kind has the same erased shape, a stream of request messages in and a writer of
/// response messages out, so transports (gRPC, gRPC-Web, the REST bridge, in-process) drive
/// all of them the same way.
package struct RPCMethodHandler: Sendable {
    /// The method this handler serves.
    package let descriptor: MethodDescriptor

    /// The interceptors that run around this method's calls, in order: the server's chain
    /// narrowed to this method by ``RPCRouter/intercepted(by:)``; empty until then.
    package internal(set) var interceptors: [any ServerInterceptor] = []

    private let body: @Sendable (RPCAsyncSequence<[UInt8]>, RPCWriter<[UInt8]>, ServerContext) async throws -> Void

    /// For unary methods: the same work without streams, one request in and one response out;
    /// transports that hold the whole request use it to skip stream machinery.
    package let unaryBody: (@Sendable ([UInt8], ServerContext) async throws -> [UInt8])?

    /// For unary protobuf methods: the handler answering with its message rather than its
    /// bytes, for transports that render the message another way (the REST bridge writes JSON
    /// from it, without encoding and decoding the binary form in between).
    package let unaryMessageBody: (@Sendable ([UInt8], ServerContext) async throws -> any SwiftProtobuf.Message)?

    /// For server-streaming protobuf methods: the handler writing its messages rather than their
    /// bytes, for transports that render them another way (the REST bridge's event streams write
    /// JSON from them, once per watcher, without a binary round trip per message).
    package let serverStreamingMessageBody:
        (@Sendable ([UInt8], RPCWriter<any SwiftProtobuf.Message>, ServerContext) async throws -> Void)?

    /// Creates an erased handler.
    ///
    /// - Parameters:
    ///   - descriptor: The method served.
    ///   - body: Reads encoded requests, writes encoded responses; throws to end the call with
    ///     an error status.
    ///   - serverStreamingMessage: For server-streaming protobuf methods, the same call writing
    ///     response messages unencoded.
    package init(
        descriptor: MethodDescriptor,
        body:
            @escaping @Sendable (RPCAsyncSequence<[UInt8]>, RPCWriter<[UInt8]>, ServerContext) async throws
            -> Void,
        serverStreamingMessage:
            (@Sendable ([UInt8], RPCWriter<any SwiftProtobuf.Message>, ServerContext) async throws -> Void)? = nil
    ) {
        self.descriptor = descriptor
        self.body = body
        self.unaryBody = nil
        self.unaryMessageBody = nil
        self.serverStreamingMessageBody = serverStreamingMessage
    }

    /// Creates an erased unary handler with both shapes.
    ///
    /// - Parameters:
    ///   - descriptor: The method served (its kind should be unary).
    ///   - unary: Turns the encoded request into the encoded response.
    package init(
        descriptor: MethodDescriptor,
        unary: @escaping @Sendable ([UInt8], ServerContext) async throws -> [UInt8],
        unaryMessage: (@Sendable ([UInt8], ServerContext) async throws -> any SwiftProtobuf.Message)? = nil
    ) {
        self.descriptor = descriptor
        self.unaryBody = unary
        self.unaryMessageBody = unaryMessage
        self.serverStreamingMessageBody = nil
        self.body = { requests, responses, context in
            let request = try await requests.onlyRequest(of: descriptor.path)
            try await responses.write(try await unary(request, context))
        }
    }

    /// Runs the call.
    ///
    /// - Parameters:
    ///   - requests: The encoded request messages.
    ///   - responses: Where encoded response messages go.
    ///   - context: The call's context.
    /// - Throws: The error the call ends with; convert it with ``RPCError/from(_:)``.
    package func handle(
        requests: RPCAsyncSequence<[UInt8]>,
        responses: RPCWriter<[UInt8]>,
        context: ServerContext
    ) async throws {
        try await self.body(requests, responses, context)
    }
}
