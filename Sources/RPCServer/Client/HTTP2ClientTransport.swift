package import NIOCore
internal import NIOPosix

/// Calls a gRPC server over one HTTP/2 cleartext connection (prior knowledge), on nghttp2.
///
/// ```swift
/// let transport = try await HTTP2ClientTransport.connect(host: "127.0.0.1", port: 3000)
/// let client = Metachat_V1_SystemService.Client(transport: transport)
/// let health = try await client.getHealth(.init())
/// await transport.close()
/// ```
package final class HTTP2ClientTransport: ClientTransport, Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<HTTP2ClientConnectionHandler>

    private init(channel: any Channel, handler: NIOLoopBound<HTTP2ClientConnectionHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to a server.
    ///
    /// - Parameters:
    ///   - host: The server's address.
    ///   - port: The server's port.
    ///   - maxReceiveMessageBytes: The largest response message accepted. Default 4 MiB.
    ///   - eventLoopGroup: Where the connection runs; NIO's process-wide group unless given.
    /// - Returns: A connected transport.
    package static func connect(
        host: String,
        port: Int,
        maxReceiveMessageBytes: Int = 4 * 1024 * 1024,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTP2ClientTransport {
        let authority = "\(host):\(port)"
        let channel = try await ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        HTTP2ClientConnectionHandler(authority: authority, maxMessageBytes: maxReceiveMessageBytes)
                    )
                }
            }
            .connect(host: host, port: port)
            .get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(
                try channel.pipeline.syncOperations.handler(type: HTTP2ClientConnectionHandler.self),
                eventLoop: channel.eventLoop
            )
        }.get()
        return HTTP2ClientTransport(channel: channel, handler: handler)
    }

    /// Sends GOAWAY and closes the connection.
    package func close() async {
        let handler = self.handler
        try? await self.channel.eventLoop.submit { handler.value.close() }.get()
        try? await self.channel.closeFuture.get()
    }

    package func call<Result: Sendable>(
        _ descriptor: MethodDescriptor,
        metadata: Metadata,
        options: CallOptions,
        requests: @escaping @Sendable (RPCWriter<[UInt8]>) async throws -> Void,
        responses: @escaping @Sendable (RPCAsyncSequence<[UInt8]>) async throws -> Result
    ) async throws -> Result {
        let loop = self.channel.eventLoop
        let handler = self.handler
        let path = descriptor.path
        let (streamID, responseStream) = try await loop.submit {
            try handler.value.startCall(
                path: path,
                metadata: metadata,
                timeout: options.timeout,
                firstMessage: nil,
                endRequest: false
            )
        }.get()
        return try await withTaskCancellationHandler {
            try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
                group.addTask {
                    try await requests(
                        RPCWriter { bytes in
                            try await loop.submit { try handler.value.send(bytes, streamID: streamID) }.get()
                        }
                    )
                    try await loop.submit { handler.value.endRequest(streamID: streamID) }.get()
                }
                let result = try await responses(RPCAsyncSequence(wrapping: responseStream))
                group.cancelAll()
                return result
            }
        } onCancel: {
            loop.execute { handler.value.cancel(streamID: streamID) }
        }
    }

    /// Makes a unary call with one hop to the event loop: the request message goes out with the
    /// stream's headers.
    ///
    /// - Parameters:
    ///   - descriptor: The method.
    ///   - request: The encoded request.
    ///   - metadata: Request metadata.
    ///   - options: Call options.
    /// - Returns: The encoded response.
    package func unary(
        _ descriptor: MethodDescriptor,
        request: [UInt8],
        metadata: Metadata,
        options: CallOptions
    ) async throws -> [UInt8] {
        let loop = self.channel.eventLoop
        let handler = self.handler
        let path = descriptor.path
        let (streamID, responseStream) = try await loop.submit {
            try handler.value.startCall(
                path: path,
                metadata: metadata,
                timeout: options.timeout,
                firstMessage: request,
                endRequest: true
            )
        }.get()
        return try await withTaskCancellationHandler {
            try await RPCAsyncSequence(wrapping: responseStream).onlyResponse(of: path)
        } onCancel: {
            loop.execute { handler.value.cancel(streamID: streamID) }
        }
    }
}
