internal import NIOPosix
internal import Synchronization

/// A pooled connection leased to one closure (``PostgresPool/withConnection(isolation:_:)`` and the
/// transaction methods); using it after that closure returns fails with
/// ``PostgresError/Code/connectionNotLeased``.
///
/// Every call runs libpq on the pool's own threads, never on an event loop or the cooperative pool.
/// Cancelling the calling task sends PostgreSQL a cancel request for the statement in progress.
package struct PostgresConnection: Sendable {
    /// Whether the lease is still held; shared by every copy of the handle.
    final class Lease: Sendable {
        private let active = Mutex(true)

        var isActive: Bool { self.active.withLock { $0 } }

        func end() {
            self.active.withLock { $0 = false }
        }
    }

    let connection: LibpqConnection
    let lease: Lease
    let threadPool: PoolThreads

    /// Runs a statement and returns its rows.
    ///
    /// ```swift
    /// let rows = try await connection.query("SELECT id, name FROM tenants WHERE enabled = \(true)")
    /// ```
    package func query(_ query: PostgresQuery) async throws -> PostgresRows {
        let (sql, binds) = (query.sql, query.binds)
        return try await self.run { try $0.execute(sql, binds) }
    }

    /// Runs a statement given as literal SQL with `$n` placeholders and its parameters.
    ///
    /// ```swift
    /// let rows = try await connection.query("SELECT name FROM tenants WHERE id = $1", [.uuid(id)])
    /// ```
    package func query(_ sql: StaticString, _ binds: [PostgresValue?]) async throws -> PostgresRows {
        try await self.query(PostgresQuery(unsafeSQL: sql.description, binds: binds))
    }

    /// Runs a statement and returns how many rows it affected.
    @discardableResult
    package func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.query(query).affectedRowCount
    }

    /// Runs a literal statement with `$n` placeholders and returns how many rows it affected.
    @discardableResult
    package func execute(_ sql: StaticString, _ binds: [PostgresValue?]) async throws -> Int {
        try await self.query(sql, binds).affectedRowCount
    }

    /// Copies rows into a table with `COPY … FROM STDIN` in one round trip: far cheaper per row than
    /// inserts for batches (the API-log writer).
    ///
    /// ```swift
    /// var rows = PostgresCopyText()
    /// rows.appendRow(["2026-12-07T03:00:00Z", nil, "/metachat.v1.TenantService/GetTenant"])
    /// try await connection.copy("COPY api_logs (occurred_at, tenant_id, method) FROM STDIN", rows)
    /// ```
    ///
    /// - Parameters:
    ///   - sql: The `COPY … FROM STDIN` statement (text format, the default).
    ///   - rows: The rows.
    /// - Returns: How many rows were copied.
    @discardableResult
    package func copy(_ sql: StaticString, _ rows: PostgresCopyText) async throws -> Int {
        let (text, data) = (sql.description, rows.bytes)
        return try await self.run { try $0.copyIn(text, data: data) }
    }

    /// Runs SQL text with the simple query protocol (several statements, no parameters), e.g. a
    /// migration file or transaction control.
    func executeScript(_ sql: String) async throws -> PostgresRows {
        try await self.run { try $0.executeScript(sql) }
    }

    /// Runs `body` in a transaction on this connection: `BEGIN` and the `setup` statements in one
    /// round trip, `body`, then `COMMIT`, or `ROLLBACK` when anything throws.
    ///
    /// `setup` is SQL text sent as it is: only constants or values formatted by this module (a
    /// `UUID`'s text), never input.
    ///
    /// - Throws: What `body` threw, or ``PostgresError`` (SQLSTATE `25P02`) when `COMMIT` found the
    ///   transaction already failed, e.g. because `body` caught a statement's error and went on.
    func transaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        setup: String?,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        _ = try await self.executeScript(setup.map { "BEGIN; " + $0 } ?? "BEGIN")
        do {
            let result = try await body(self)
            let commit = try await self.executeScript("COMMIT")
            if commit.commandTag == "ROLLBACK" {
                throw PostgresError(
                    code: .server,
                    message: "in_failed_sql_transaction (SQLSTATE 25P02): the transaction failed and was rolled back",
                    sqlState: "25P02"
                )
            }
            return result
        } catch {
            _ = try? await self.executeScript("ROLLBACK")
            throw error
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (LibpqConnection) throws -> T)
        async throws -> T
    {
        guard self.lease.isActive else {
            throw PostgresError(
                code: .connectionNotLeased,
                message: "a PostgresConnection was used after the closure that leased it returned"
            )
        }
        let connection = self.connection
        do {
            return try await withTaskCancellationHandler {
                try await self.threadPool.run { try body(connection) }
            } onCancel: {
                connection.requestCancel()
            }
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw PostgresError(code: .poolShutDown, message: "the PostgreSQL pool is shut down")
        }
    }
}
