internal import RPCServer

/// The `INVALID_ARGUMENT` error for one bad request field, whose message starts with the field's
/// path in protobuf JSON form, e.g. `settings.rag.topK must be between 0 and 50`. It never
/// quotes the rejected value, which may be a secret.
enum TenantFieldViolation {
    /// The error naming `field` and why it was rejected.
    static func error(_ field: String, _ reason: String) -> RPCError {
        RPCError(code: .invalidArgument, message: "\(field) \(reason)")
    }
}
