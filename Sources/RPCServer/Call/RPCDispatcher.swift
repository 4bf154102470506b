package import SwiftProtobuf
internal import Synchronization

/// Calls the router's handlers through the interceptor chain, for faces other than gRPC over
/// HTTP/2 (the REST bridge), so every face runs the same authentication, limits and metrics.
package struct RPCDispatcher: Sendable {
    /// The handlers by method path, each with its interceptor chain.
    package let router: RPCRouter
    private let interceptors: [any ServerInterceptor]

    /// Creates a dispatcher.
    ///
    /// - Parameters:
    ///   - router: The handlers.
    ///   - interceptors: Run around every call they apply to, in order.
    package init(router: RPCRouter, interceptors: [any ServerInterceptor] = []) {
        self.router = router.intercepted(by: interceptors)
        self.interceptors = interceptors
    }

    /// The chain for `handler`: the one its method was given here, or, for a handler from
    /// another router, the dispatcher's interceptors that apply to it (so no handler runs
    /// without them).
    private func chain(for handler: RPCMethodHandler) -> [any ServerInterceptor] {
        if let known = self.router.handler(forPath: handler.descriptor.path) {
            return known.interceptors
        }
        return self.interceptors.applying(to: handler.descriptor)
    }

    /// Calls a method that takes one request and answers one response.
    ///
    /// - Parameters:
    ///   - handler: The method's handler.
    ///   - request: The serialized request.
    ///   - context: The call's context.
    /// - Returns: The serialized response.
    package func unary(_ handler: RPCMethodHandler, request: [UInt8], context: ServerContext) async throws -> [UInt8] {
        var response: [UInt8]?
        try await self.chain(for: handler).run(context: context) { context in
            if let unary = handler.unaryBody {
                response = try await unary(request, context)
            } else {
                let collected = CollectedResponse()
                try await handler.handle(
                    requests: .elements([request]),
                    responses: RPCWriter { try collected.set($0) },
                    context: context
                )
                response = collected.message
            }
        }
        guard let response else {
            throw RPCError(code: .internalError, message: "The method finished without a response.")
        }
        return response
    }

    /// Holds the one response of a unary method registered without the unary fast path.
    /// Runs a unary call through the interceptors and answers the handler's message unencoded
    /// when the method offers it (``RPCMethodHandler/unaryMessageBody``); `nil` when it does not,
    /// and then nothing ran: call ``unary(_:request:context:)`` instead.
    ///
    /// - Parameters:
    ///   - handler: The method.
    ///   - request: The encoded request.
    ///   - context: The call's context.
    /// - Returns: The response message, or `nil` when the method answers bytes only.
    package func unaryMessage(
        _ handler: RPCMethodHandler,
        request: [UInt8],
        context: ServerContext
    ) async throws -> (any SwiftProtobuf.Message)? {
        guard let body = handler.unaryMessageBody else { return nil }
        var response: (any SwiftProtobuf.Message)?
        try await self.chain(for: handler).run(context: context) { context in
            response = try await body(request, context)
        }
        guard let response else {
            throw RPCError(code: .internalError, message: "The method finished without a response.")
        }
        return response
    }

    private final class CollectedResponse: Sendable {
        private let state = Mutex<[UInt8]?>(nil)

        var message: [UInt8]? { self.state.withLock { $0 } }

        func set(_ message: [UInt8]) throws {
            try self.state.withLock { current in
                guard current == nil else {
                    throw RPCError(code: .internalError, message: "The method answered more than one message.")
                }
                current = message
            }
        }
    }

    /// Runs a server-streaming call through the interceptors with the handler's messages
    /// unencoded, when the method offers them (``RPCMethodHandler/serverStreamingMessageBody``).
    ///
    /// - Parameters:
    ///   - handler: The method.
    ///   - request: The encoded request.
    ///   - responses: Receives each response message.
    ///   - context: The call's context.
    /// - Returns: `false` when the method answers bytes only, and then nothing ran: call
    ///   ``serverStreaming(_:request:responses:context:)`` instead.
    package func serverStreamingMessages(
        _ handler: RPCMethodHandler,
        request: [UInt8],
        responses: RPCWriter<any SwiftProtobuf.Message>,
        context: ServerContext
    ) async throws -> Bool {
        guard let body = handler.serverStreamingMessageBody else { return false }
        try await self.chain(for: handler).run(context: context) { context in
            try await body(request, responses, context)
        }
        return true
    }

    /// Calls a method that reads a stream of requests and answers one response (uploads fed
    /// from a request body as it arrives).
    ///
    /// - Parameters:
    ///   - handler: The method's handler.
    ///   - requests: The serialized requests; its errors reach the handler's reads.
    ///   - context: The call's context.
    /// - Returns: The serialized response.
    package func clientStreaming(
        _ handler: RPCMethodHandler,
        requests: RPCAsyncSequence<[UInt8]>,
        context: ServerContext
    ) async throws -> [UInt8] {
        var response: [UInt8]?
        try await self.chain(for: handler).run(context: context) { context in
            let collected = CollectedResponse()
            try await handler.handle(
                requests: requests, responses: RPCWriter { try collected.set($0) }, context: context)
            response = collected.message
        }
        guard let response else {
            throw RPCError(code: .internalError, message: "The method finished without a response.")
        }
        return response
    }

    /// Calls a method that takes one request and writes any number of responses.
    ///
    /// - Parameters:
    ///   - handler: The method's handler.
    ///   - request: The serialized request.
    ///   - responses: Receives each serialized response.
    ///   - context: The call's context.
    package func serverStreaming(
        _ handler: RPCMethodHandler,
        request: [UInt8],
        responses: RPCWriter<[UInt8]>,
        context: ServerContext
    ) async throws {
        try await self.chain(for: handler).run(context: context) { context in
            try await handler.handle(requests: .elements([request]), responses: responses, context: context)
        }
    }
}
