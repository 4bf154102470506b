extension RPCError {
    /// A gRPC status code.
    ///
    /// A struct over a private enum, so adding a code never breaks an exhaustive `switch` in
    /// callers. ``rawValue`` is the number sent in `grpc-status`.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: Int, Sendable, Hashable {
            case ok = 0
            case cancelled = 1
            case unknown = 2
            case invalidArgument = 3
            case deadlineExceeded = 4
            case notFound = 5
            case alreadyExists = 6
            case permissionDenied = 7
            case resourceExhausted = 8
            case failedPrecondition = 9
            case aborted = 10
            case outOfRange = 11
            case unimplemented = 12
            case internalError = 13
            case unavailable = 14
            case dataLoss = 15
            case unauthenticated = 16
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// Creates a code from the number carried in `grpc-status`.
        ///
        /// - Parameter rawValue: A status number, 0 through 16.
        /// - Returns: `nil` when the number is not a known status.
        package init?(rawValue: Int) {
            guard let wrapped = Wrapped(rawValue: rawValue) else { return nil }
            self.wrapped = wrapped
        }

        /// The number sent in `grpc-status`.
        package var rawValue: Int { self.wrapped.rawValue }

        /// The canonical upper-snake name, e.g. `NOT_FOUND`.
        package var name: String {
            switch self.wrapped {
            case .ok: "OK"
            case .cancelled: "CANCELLED"
            case .unknown: "UNKNOWN"
            case .invalidArgument: "INVALID_ARGUMENT"
            case .deadlineExceeded: "DEADLINE_EXCEEDED"
            case .notFound: "NOT_FOUND"
            case .alreadyExists: "ALREADY_EXISTS"
            case .permissionDenied: "PERMISSION_DENIED"
            case .resourceExhausted: "RESOURCE_EXHAUSTED"
            case .failedPrecondition: "FAILED_PRECONDITION"
            case .aborted: "ABORTED"
            case .outOfRange: "OUT_OF_RANGE"
            case .unimplemented: "UNIMPLEMENTED"
            case .internalError: "INTERNAL"
            case .unavailable: "UNAVAILABLE"
            case .dataLoss: "DATA_LOSS"
            case .unauthenticated: "UNAUTHENTICATED"
            }
        }

        package var description: String { self.name }

        /// The call succeeded.
        package static let ok = Code(.ok)
        /// The caller cancelled the call.
        package static let cancelled = Code(.cancelled)
        /// An error with no better code.
        package static let unknown = Code(.unknown)
        /// The request was malformed; the message names the field.
        package static let invalidArgument = Code(.invalidArgument)
        /// The deadline passed before the call finished.
        package static let deadlineExceeded = Code(.deadlineExceeded)
        /// The resource does not exist, or the caller may not know that it does.
        package static let notFound = Code(.notFound)
        /// The resource already exists.
        package static let alreadyExists = Code(.alreadyExists)
        /// The caller is known but may not do this.
        package static let permissionDenied = Code(.permissionDenied)
        /// A quota, rate limit or size limit was reached.
        package static let resourceExhausted = Code(.resourceExhausted)
        /// The system is not in a state where the call can run.
        package static let failedPrecondition = Code(.failedPrecondition)
        /// The call was aborted by a concurrency conflict.
        package static let aborted = Code(.aborted)
        /// A value was outside its valid range.
        package static let outOfRange = Code(.outOfRange)
        /// The method is not implemented or not known.
        package static let unimplemented = Code(.unimplemented)
        /// An invariant broke inside the server.
        package static let internalError = Code(.internalError)
        /// The service is unavailable for now; retrying may help.
        package static let unavailable = Code(.unavailable)
        /// Data was lost or corrupted.
        package static let dataLoss = Code(.dataLoss)
        /// The caller did not present valid credentials.
        package static let unauthenticated = Code(.unauthenticated)
    }
}
