/// A PostgreSQL call that failed.
///
/// ``code`` says what kind of failure it was; for statements the server rejected it is
/// ``Code/server`` and ``sqlState`` holds the five-character SQLSTATE (e.g. `23505`).
///
/// ``message`` and `description` are safe to log and to map to a client status: they are built from
/// the SQLSTATE's condition name and the names of the constraint, table and column involved, never
/// from the server's message text, which can quote bind values (`Key (email)=(…) already exists`).
/// `String(reflecting:)` adds the server's own message, detail and hint, for operators.
///
/// The handler layer maps errors to RPC status codes; see `docs/decisions.md` for the table.
package struct PostgresError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure. A struct over a private enum, so new codes break no `switch`.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: Sendable, Hashable {
            case connectionFailed
            case connectionLost
            case acquireTimeout
            case poolShutDown
            case server
            case decodingFailed
            case connectionNotLeased
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// No connection could be opened (server down, refusing connections, bad credentials).
        package static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while the call was in progress; the statement may or may not have run.
        package static let connectionLost = Code(.connectionLost)
        /// Every pooled connection stayed busy for the pool's acquire timeout.
        package static let acquireTimeout = Code(.acquireTimeout)
        /// The pool is shutting down.
        package static let poolShutDown = Code(.poolShutDown)
        /// The server rejected the statement; ``PostgresError/sqlState`` says why.
        package static let server = Code(.server)
        /// A result value could not be decoded as the requested Swift type.
        package static let decodingFailed = Code(.decodingFailed)
        /// A ``PostgresConnection`` was used after the closure that leased it returned.
        package static let connectionNotLeased = Code(.connectionNotLeased)

        package var description: String {
            switch self.wrapped {
            case .connectionFailed: "connectionFailed"
            case .connectionLost: "connectionLost"
            case .acquireTimeout: "acquireTimeout"
            case .poolShutDown: "poolShutDown"
            case .server: "server"
            case .decodingFailed: "decodingFailed"
            case .connectionNotLeased: "connectionNotLeased"
            }
        }
    }

    /// The kind of failure.
    package var code: Code
    /// The SQLSTATE the server reported, when it reported one.
    package var sqlState: String?
    /// What failed, without any value from the statement or its binds.
    package var message: String
    /// The constraint involved, for integrity violations.
    package var constraintName: String?
    /// The table involved, when the server names one.
    package var tableName: String?
    /// The column involved, when the server names one.
    package var columnName: String?
    /// The server's (or libpq's) own text: primary message, detail and hint. May quote values.
    var serverText: String?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: A description that contains no values.
    ///   - sqlState: The SQLSTATE, if any.
    package init(code: Code, message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    /// The server's diagnostics for a failed statement.
    init(
        serverSQLState sqlState: String?,
        constraintName: String?,
        tableName: String?,
        columnName: String?,
        serverText: String?,
        connectionLost: Bool
    ) {
        var message = PostgresError.conditionName(sqlState: sqlState)
        if let sqlState {
            message += " (SQLSTATE \(sqlState))"
        }
        if let constraintName {
            message += " on constraint \"\(constraintName)\""
        } else if let tableName {
            message += " on table \"\(tableName)\""
            if let columnName {
                message += ", column \"\(columnName)\""
            }
        }
        if connectionLost {
            message = "connection to PostgreSQL lost: " + message
        }
        self.code = connectionLost ? .connectionLost : .server
        self.sqlState = sqlState
        self.message = message
        self.constraintName = constraintName
        self.tableName = tableName
        self.columnName = columnName
        self.serverText = serverText
    }

    /// A unique constraint or index refused a duplicate (SQLSTATE `23505`); ``constraintName`` says which.
    package var isUniqueViolation: Bool { self.sqlState == "23505" }

    /// A foreign key refused the row (SQLSTATE `23503`).
    package var isForeignKeyViolation: Bool { self.sqlState == "23503" }

    /// The statement was cancelled (SQLSTATE `57014`): it ran past `statement_timeout` or its task
    /// was cancelled.
    package var isQueryCanceled: Bool { self.sqlState == "57014" }

    /// A concurrent transaction got in the way (serialization failure `40001` or deadlock `40P01`);
    /// running the transaction again may succeed.
    package var isTransactionConflict: Bool { self.sqlState == "40001" || self.sqlState == "40P01" }

    /// PostgreSQL could not be used at all: no connection, a connection lost, a pool exhausted or
    /// shutting down, or a server shutting down, starting or out of connection slots. Handlers map
    /// these to `UNAVAILABLE`.
    package var isUnavailable: Bool {
        switch self.code {
        case .connectionFailed, .connectionLost, .acquireTimeout, .poolShutDown:
            return true
        default:
            guard let sqlState = self.sqlState else { return false }
            return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
        }
    }

    package var description: String { self.message }

    package var debugDescription: String {
        guard let serverText = self.serverText, !serverText.isEmpty else { return self.message }
        return "\(self.message): \(serverText)"
    }
}
