package import RPCServer
package import Storage

extension RPCError {
    /// The status a storage failure ends a call with (the table in `docs/decisions.md`). The message
    /// is fixed per kind, or names the constraint's meaning; it never carries the server's text.
    ///
    /// - Parameter error: What PostgreSQL or the pool reported.
    package init(storage error: PostgresError) {
        if error.isUnavailable {
            self.init(code: .unavailable, message: "The database is unavailable; try again shortly.")
        } else if error.isUniqueViolation {
            self.init(code: .alreadyExists, message: Self.uniqueViolationMessage(constraint: error.constraintName))
        } else if error.isForeignKeyViolation || error.sqlState == "23514" {
            self.init(code: .failedPrecondition, message: "The change conflicts with stored data.")
        } else if error.isQueryCanceled {
            self.init(code: .deadlineExceeded, message: "The database did not answer in time.")
        } else if error.isTransactionConflict {
            self.init(code: .aborted, message: "A concurrent change got in the way; try again.")
        } else {
            self.init(code: .internalError, message: RPCError.unknownErrorMessage)
        }
    }

    private static func uniqueViolationMessage(constraint: String?) -> String {
        switch constraint {
        case "admin_users_email_key": "An admin user with this email already exists."
        case "api_keys_admin_label_key", "api_keys_tenant_label_key":
            "An active key with this label already exists for this owner."
        case "channels_tenant_id_name_key": "A channel with this name already exists."
        default: "The object already exists."
        }
    }
}
