internal import RPCServer
internal import Storage

/// Turns what the tenant store threw into the status the client gets (the table in
/// `docs/decisions.md`, "Storage"). Messages come from ``PostgresError/message``, which never
/// quotes bind values, so no secret reaches a client.
enum TenantErrorMapping {
    /// The ``RPCError`` for `error`; errors that already are one pass through.
    static func rpcError(_ error: any Error) -> any Error {
        guard let postgres = error as? PostgresError else { return error }
        if postgres.isUnavailable {
            return RPCError(code: .unavailable, message: "The database is unavailable; retry later.")
        }
        if postgres.isQueryCanceled {
            return RPCError(code: .deadlineExceeded, message: "The database did not answer in time.")
        }
        if postgres.isTransactionConflict {
            return RPCError(code: .aborted, message: "A concurrent change got in the way; retry.")
        }
        if postgres.isUniqueViolation {
            return RPCError(code: .alreadyExists, message: "The tenant conflicts with an existing one.")
        }
        if postgres.isForeignKeyViolation || postgres.sqlState == "23514" {
            return RPCError(
                code: .failedPrecondition, message: "The change breaks a rule of the database: \(postgres.message)")
        }
        return RPCError(code: .internalError, message: "The tenant store failed: \(postgres.message)")
    }
}
