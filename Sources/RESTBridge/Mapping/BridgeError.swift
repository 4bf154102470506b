internal import RPCServer

/// A request the bridge refuses before any handler runs, with the HTTP status it answers.
///
/// Most map to an RPC status (400 `INVALID_ARGUMENT`); the few HTTP-only refusals (405, 413, 415)
/// carry their own status name.
struct BridgeError: Error {
    var httpStatus: Int
    var statusName: String
    var message: String

    static func invalidArgument(_ message: String) -> BridgeError {
        BridgeError(httpStatus: 400, statusName: RPCError.Code.invalidArgument.name, message: message)
    }

    static func rpc(_ error: RPCError) -> BridgeError {
        BridgeError(httpStatus: error.code.httpStatus, statusName: error.code.name, message: error.message)
    }

    static func unsupportedMediaType(_ contentType: String) -> BridgeError {
        BridgeError(
            httpStatus: 415,
            statusName: "UNSUPPORTED_MEDIA_TYPE",
            message: "The request body must be JSON (content-type: application/json), not \(contentType)."
        )
    }

    var response: HTTPResponse {
        ErrorBody.response(httpStatus: self.httpStatus, statusName: self.statusName, message: self.message)
    }
}
