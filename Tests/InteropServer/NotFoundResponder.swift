import RPCServer

/// Answers every plain HTTP request with 404: interop-server serves gRPC only.
struct NotFoundResponder: HTTPResponder {
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        .error(status: 404, statusName: "NOT_FOUND", message: "interop-server serves gRPC only.")
    }
}
