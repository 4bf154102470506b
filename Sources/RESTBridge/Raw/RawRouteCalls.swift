internal import Logging
package import RPCServer
package import SwiftProtobuf

/// Lets a hand-written route call an RPC method the way generated routes do: through the same
/// interceptors (authentication, tenant access, rate limits, API log), counted in the same
/// metrics on face `rest`, under the request's id, with errors in the one JSON shape.
///
/// Routes whose wire form the generated bridge cannot express use it: a multipart upload that
/// feeds a client-streaming method while the body arrives, a download that sends a
/// server-streaming method's bytes as a plain body.
package struct RawRouteCalls: Sendable {
    let dispatcher: RPCDispatcher
    let request: HTTPRequest
    let requestID: String
    let client: ClientAddress
    let metrics: any RPCServerMetrics
    let logger: Logger

    /// Calls a client-streaming method and answers its response as JSON, or its error.
    ///
    /// - Parameters:
    ///   - path: The method, e.g. `/metachat.v1.DocumentService/UploadDocument`.
    ///   - responseType: The method's response message type.
    ///   - requests: The serialized request messages; an error they throw ends the call with it.
    /// - Returns: The response.
    package func clientStreaming(
        _ path: String, responseType: any SwiftProtobuf.Message.Type, requests: RPCAsyncSequence<[UInt8]>
    ) async -> HTTPResponse {
        let started = ContinuousClock.now
        guard let (handler, context) = self.prepare(path) else { return self.unimplemented(path) }
        do {
            let bytes = try await self.dispatcher.clientStreaming(handler, requests: requests, context: context)
            let json: [UInt8] = try responseType.init(serializedBytes: bytes).jsonUTF8Bytes(
                options: ResponseRenderer.encodingOptions)
            self.finished(path, code: .ok, since: started)
            var response = HTTPResponse(status: 200, headers: [("content-type", "application/json")], body: json)
            response.headers += CallMetadata.headers(from: context.response.initial)
            response.headers += CallMetadata.headers(from: context.response.trailing)
            return response
        } catch {
            return self.failed(error, path: path, context: context, since: started)
        }
    }

    /// Calls a server-streaming method and sends its messages as a plain response body (a
    /// download): the first message (or the end of a call that has none) decides the status and
    /// headers; an error before it answers the error. The body is written as the client reads
    /// it, at most ``bodyBufferBytes`` ahead; an error after the response has started cuts the
    /// body short (the transport resets the stream or closes the connection), so a client never
    /// takes a truncated body for a whole one.
    ///
    /// - Parameters:
    ///   - path: The method.
    ///   - request: The serialized request message.
    ///   - head: Given the first serialized response (`nil` when there is none), the status and
    ///     headers of the response.
    ///   - body: The bytes of one serialized response message to send.
    /// - Returns: The response.
    package func serverStreaming(
        _ path: String,
        request: [UInt8],
        head: @escaping @Sendable ([UInt8]?) throws -> (status: Int, headers: [(name: String, value: String)]),
        body: @escaping @Sendable ([UInt8]) throws -> [UInt8]
    ) async -> HTTPResponse {
        let started = ContinuousClock.now
        guard let (handler, context) = self.prepare(path) else { return self.unimplemented(path) }
        let stream = BoundedChunkStream(limit: Self.bodyBufferBytes)
        let opening = StreamOpening()
        let dispatcher = self.dispatcher
        let metrics = self.metrics
        let start: @Sendable ([UInt8]?) throws -> HTTPResponse = { first in
            let (status, headers) = try head(first)
            var response = HTTPResponse(status: status, headers: headers)
            response.bodyStream = RPCAsyncSequence(wrapping: stream)
            return response
        }
        let producer = Task {
            var code = RPCError.Code.ok
            do {
                try await dispatcher.serverStreaming(
                    handler, request: request,
                    responses: RPCWriter { message in
                        try opening.open(with: message, start: start)
                        let bytes = try body(message)
                        if !bytes.isEmpty { try await stream.write(bytes) }
                    },
                    context: context)
                try opening.open(with: nil, start: start)
                stream.finish()
            } catch {
                code = RPCError.from(error).code
                opening.fail(error)
                stream.finish(throwing: error)
            }
            metrics.callFinished(path: path, code: code, transport: .http, duration: ContinuousClock.now - started)
        }
        stream.onTermination = { producer.cancel() }
        switch await opening.response() {
        case .success(let response):
            return response
        case .failure(let error):
            return self.errorResponse(error, context: context)
        }
    }

    /// Bytes of a streamed body written ahead of the client.
    package static let bodyBufferBytes = 2 * 1024 * 1024

    /// The handler of `path` and a context for calling it, or `nil` when no service serves it.
    private func prepare(_ path: String) -> (RPCMethodHandler, ServerContext)? {
        guard let handler = self.dispatcher.router.handler(forPath: path) else { return nil }
        let context = ServerContext(
            descriptor: handler.descriptor,
            requestMetadata: CallMetadata.requestMetadata(from: self.request.headers, requestID: self.requestID),
            peer: self.request.peer,
            clientAddress: self.client,
            requestID: self.requestID,
            transport: .http
        )
        return (handler, context)
    }

    private func unimplemented(_ path: String) -> HTTPResponse {
        ErrorBody.response(for: RPCError(code: .unimplemented, message: "Method not found: \(path)"))
    }

    private func finished(_ path: String, code: RPCError.Code, since started: ContinuousClock.Instant) {
        self.metrics.callFinished(path: path, code: code, transport: .http, duration: ContinuousClock.now - started)
    }

    private func failed(
        _ error: any Error, path: String, context: ServerContext, since started: ContinuousClock.Instant
    ) -> HTTPResponse {
        self.finished(path, code: RPCError.from(error).code, since: started)
        return self.errorResponse(error, context: context)
    }

    private func errorResponse(_ error: any Error, context: ServerContext) -> HTTPResponse {
        ErrorBody.response(for: error, context: context, logger: self.logger)
    }
}
