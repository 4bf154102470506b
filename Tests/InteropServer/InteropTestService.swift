import FoundationEssentials
import RPCServer

/// `grpc.testing.TestService` as gRPC's interop test descriptions specify the server side:
/// every method the client cases of a server without TLS call.
///
/// - Payloads are zeros of the requested size (type `COMPRESSABLE`, the only one served;
///   others fail with `INVALID_ARGUMENT`).
/// - `response_compressed` (unary) and `ResponseParameters.compressed` (streams) choose each
///   response message's compression (``MessageCompression``); when unset the server decides.
/// - `expect_compressed` is checked against each request message's compressed flag
///   (``ServerContext/requestMessageWasCompressed``): a mismatch fails with `INVALID_ARGUMENT`.
/// - `response_status` with a non-zero code ends the call with that code and message, before
///   anything else of the request is served.
/// - `x-grpc-test-echo-initial` comes back in the initial metadata and
///   `x-grpc-test-echo-trailing-bin` in the trailing metadata, on every method.
/// - `interval_us` delays each response message by that many microseconds.
/// - `UnimplementedCall` answers `UNIMPLEMENTED`; `grpc.testing.UnimplementedService` is never
///   registered, so the router answers it `UNIMPLEMENTED` as any unknown service.
struct InteropTestService: Grpc_Testing_TestService.Handler {
    /// The request header echoed in the initial metadata.
    static let echoInitialKey = "x-grpc-test-echo-initial"
    /// The request header echoed in the trailing metadata.
    static let echoTrailingKey = "x-grpc-test-echo-trailing-bin"

    func emptyCall(request: Grpc_Testing_Empty, context: ServerContext) async throws -> Grpc_Testing_Empty {
        Self.echoMetadata(context)
        return Grpc_Testing_Empty()
    }

    func unaryCall(
        request: Grpc_Testing_SimpleRequest,
        context: ServerContext
    ) async throws -> Grpc_Testing_SimpleResponse {
        Self.echoMetadata(context)
        if request.hasExpectCompressed {
            try Self.checkCompression(expected: request.expectCompressed.value, context: context)
        }
        try Self.checkStatus(request.hasResponseStatus ? request.responseStatus : nil)
        context.response.messageCompression = Self.compression(
            request.hasResponseCompressed ? request.responseCompressed : nil)
        var response = Grpc_Testing_SimpleResponse()
        response.payload = try Self.payload(type: request.responseType, size: request.responseSize)
        return response
    }

    func streamingOutputCall(
        request: Grpc_Testing_StreamingOutputCallRequest,
        response: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>,
        context: ServerContext
    ) async throws {
        Self.echoMetadata(context)
        try await Self.answer(request, with: response, context: context)
    }

    func streamingInputCall(
        request: RPCAsyncSequence<Grpc_Testing_StreamingInputCallRequest>,
        context: ServerContext
    ) async throws -> Grpc_Testing_StreamingInputCallResponse {
        Self.echoMetadata(context)
        var total = 0
        for try await message in request {
            if message.hasExpectCompressed {
                try Self.checkCompression(expected: message.expectCompressed.value, context: context)
            }
            total += message.payload.body.count
        }
        var response = Grpc_Testing_StreamingInputCallResponse()
        response.aggregatedPayloadSize = Int32(clamping: total)
        return response
    }

    func fullDuplexCall(
        request: RPCAsyncSequence<Grpc_Testing_StreamingOutputCallRequest>,
        response: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>,
        context: ServerContext
    ) async throws {
        Self.echoMetadata(context)
        for try await message in request {
            try await Self.answer(message, with: response, context: context)
        }
    }

    func halfDuplexCall(
        request: RPCAsyncSequence<Grpc_Testing_StreamingOutputCallRequest>,
        response: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>,
        context: ServerContext
    ) async throws {
        Self.echoMetadata(context)
        var received: [Grpc_Testing_StreamingOutputCallRequest] = []
        for try await message in request {
            received.append(message)
        }
        for message in received {
            try await Self.answer(message, with: response, context: context)
        }
    }

    func unimplementedCall(request: Grpc_Testing_Empty, context: ServerContext) async throws -> Grpc_Testing_Empty {
        throw RPCError(code: .unimplemented, message: "grpc.testing.TestService/UnimplementedCall is not implemented.")
    }

    // MARK: Shared steps

    /// Ends the call with the requested status, or sends one response per response parameter.
    private static func answer(
        _ request: Grpc_Testing_StreamingOutputCallRequest,
        with response: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>,
        context: ServerContext
    ) async throws {
        try Self.checkStatus(request.hasResponseStatus ? request.responseStatus : nil)
        for parameters in request.responseParameters {
            if parameters.intervalUs > 0 {
                try await Task.sleep(for: .microseconds(Int(parameters.intervalUs)))
            }
            var message = Grpc_Testing_StreamingOutputCallResponse()
            message.payload = try Self.payload(type: request.responseType, size: parameters.size)
            context.response.messageCompression = Self.compression(
                parameters.hasCompressed ? parameters.compressed : nil)
            try await response.write(message)
        }
    }

    /// A payload of `size` zeros.
    private static func payload(type: Grpc_Testing_PayloadType, size: Int32) throws -> Grpc_Testing_Payload {
        guard type == .compressable else {
            throw RPCError(code: .invalidArgument, message: "Payload type \(type.rawValue) is not supported.")
        }
        guard size >= 0 else {
            throw RPCError(code: .invalidArgument, message: "A payload size cannot be negative (\(size)).")
        }
        var payload = Grpc_Testing_Payload()
        payload.type = type
        payload.body = Data(count: Int(size))
        return payload
    }

    /// The compression a `BoolValue` asks for; the server's own choice when it is unset.
    private static func compression(_ requested: Grpc_Testing_BoolValue?) -> MessageCompression {
        guard let requested else { return .automatic }
        return requested.value ? .enabled : .disabled
    }

    /// Fails unless the request message the handler just received arrived as `expected`.
    private static func checkCompression(expected: Bool, context: ServerContext) throws {
        let arrived = context.requestMessageWasCompressed
        guard arrived != expected else { return }
        throw RPCError(
            code: .invalidArgument,
            message: expected
                ? "Expected a compressed request message; it arrived uncompressed."
                : "Expected an uncompressed request message; it arrived compressed."
        )
    }

    /// Throws the requested status when its code is not OK.
    private static func checkStatus(_ status: Grpc_Testing_EchoStatus?) throws {
        guard let status, status.code != 0 else { return }
        let code = RPCError.Code(rawValue: Int(status.code)) ?? .unknown
        throw RPCError(code: code, message: status.message)
    }

    /// Sends the echo headers back: initial metadata at once (with the response headers), the
    /// trailing one with the status.
    private static func echoMetadata(_ context: ServerContext) {
        var initial = Metadata()
        var trailing = Metadata()
        for element in context.requestMetadata {
            if element.key == Self.echoInitialKey {
                initial.append(element)
            } else if element.key == Self.echoTrailingKey {
                trailing.append(element)
            }
        }
        if !initial.isEmpty {
            context.response.addInitial(initial)
        }
        if !trailing.isEmpty {
            context.response.addTrailing(trailing)
        }
    }
}
