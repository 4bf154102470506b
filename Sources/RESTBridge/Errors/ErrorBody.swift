package import RPCServer

/// The one JSON error shape every REST route answers with:
/// `{"error": {"code": 404, "status": "NOT_FOUND", "message": "...", "details": []}}`.
package enum ErrorBody {
    /// The response for an error, with the HTTP status mapped from its code.
    ///
    /// - Parameter error: The error.
    /// - Returns: A JSON response.
    package static func response(for error: RPCError) -> HTTPResponse {
        Self.response(httpStatus: error.code.httpStatus, statusName: error.code.name, message: error.message)
    }

    /// The response for an HTTP-level error that has no RPC status, such as 405 or 415.
    ///
    /// - Parameters:
    ///   - httpStatus: The HTTP status, also sent as `code`.
    ///   - statusName: The upper-snake name sent as `status`, e.g. `METHOD_NOT_ALLOWED`.
    ///   - message: What was wrong.
    /// - Returns: A JSON response.
    package static func response(httpStatus: Int, statusName: String, message: String) -> HTTPResponse {
        HTTPResponse.error(status: httpStatus, statusName: statusName, message: message)
    }
}
