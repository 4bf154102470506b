import RPCServer

/// Answers every plain HTTP request with 404, for servers under test that only serve gRPC.
struct NotFoundResponder: HTTPResponder {
    func respond(to request: HTTPRequest) async -> HTTPResponse { HTTPResponse(status: 404) }
}
