import RESTBridge
import RPCServer
import Testing

@Suite("Error body and status mapping")
struct ErrorBodyTests {
    @Test(
        "Each RPC status maps to one HTTP status",
        arguments: [
            (RPCError.Code.invalidArgument, 400), (.failedPrecondition, 400), (.outOfRange, 400),
            (.unauthenticated, 401), (.permissionDenied, 403), (.notFound, 404), (.alreadyExists, 409),
            (.aborted, 409), (.resourceExhausted, 429), (.cancelled, 499), (.internalError, 500), (.unknown, 500),
            (.dataLoss, 500), (.unimplemented, 501), (.unavailable, 503), (.deadlineExceeded, 504), (.ok, 200),
        ]
    )
    func statusMapping(code: RPCError.Code, httpStatus: Int) {
        #expect(code.httpStatus == httpStatus)
    }

    @Test("Messages are JSON-escaped, so quotes, newlines and control characters cannot break the shape")
    func escapesMessages() {
        let response = ErrorBody.response(
            for: RPCError(code: .invalidArgument, message: "name \"a\\b\"\nline\u{01} ünïcode")
        )

        #expect(response.status == 400)
        #expect(response.headers.contains { $0.name == "content-type" && $0.value == "application/json" })
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"{"error":{"code":400,"status":"INVALID_ARGUMENT","message":"name \"a\\b\"\nline\u0001 ünïcode","details":[]}}"#
        )
    }
}
