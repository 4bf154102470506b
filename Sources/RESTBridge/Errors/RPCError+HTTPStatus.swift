package import RPCServer

extension RPCError.Code {
    /// The HTTP status a REST client sees for this code; the only place the mapping lives.
    ///
    /// INVALID_ARGUMENT, FAILED_PRECONDITION and OUT_OF_RANGE 400; UNAUTHENTICATED 401;
    /// PERMISSION_DENIED 403; NOT_FOUND 404; ALREADY_EXISTS and ABORTED 409; RESOURCE_EXHAUSTED
    /// 429; CANCELLED 499; UNIMPLEMENTED 501; UNAVAILABLE 503; DEADLINE_EXCEEDED 504; OK 200;
    /// everything else 500.
    package var httpStatus: Int {
        switch self {
        case .ok: 200
        case .invalidArgument, .failedPrecondition, .outOfRange: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .resourceExhausted: 429
        case .cancelled: 499
        case .unimplemented: 501
        case .unavailable: 503
        case .deadlineExceeded: 504
        default: 500
        }
    }
}
