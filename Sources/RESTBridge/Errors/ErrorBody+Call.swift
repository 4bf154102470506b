internal import Logging
internal import RPCServer

extension ErrorBody {
    /// The response for a call that failed: the error's JSON shape, plus the metadata the call
    /// had set (initial and trailing, e.g. rate-limit headers) and the error's own. An unexpected
    /// error (`INTERNAL`, `UNKNOWN`) is logged with the request id and method; its text is never
    /// sent.
    ///
    /// - Parameters:
    ///   - error: What the call threw.
    ///   - context: The call's context.
    ///   - logger: Receives unexpected errors.
    /// - Returns: A JSON response.
    static func response(for error: any Error, context: ServerContext, logger: Logger) -> HTTPResponse {
        let rpcError = RPCError.from(error)
        if rpcError.code == .internalError || rpcError.code == .unknown {
            logger.error(
                "REST call failed",
                metadata: [
                    "request-id": "\(context.requestID)", "method": "\(context.descriptor.path)",
                    "error": "\(String(reflecting: error))",
                ]
            )
        }
        var response = Self.response(for: rpcError)
        response.headers += CallMetadata.headers(from: context.response.initial)
        response.headers += CallMetadata.headers(from: context.response.trailing)
        response.headers += CallMetadata.headers(from: rpcError.metadata)
        return response
    }
}
