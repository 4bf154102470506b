private import CPostgres
internal import Glibc
internal import Synchronization

/// Owns one libpq connection (`PGconn *`) and its cancel handle (`PGcancel *`).
///
/// Every method except ``requestCancel()`` blocks and runs on the pool's thread pool, for one
/// leaseholder at a time.
///
/// `@unchecked Sendable`: the pool hands the connection to one task at a time and every blocking
/// call is awaited before the next starts, so the mutable libpq state is never touched
/// concurrently; the one thing another thread may do, cancelling, goes through `cancelState`'s lock.
final class LibpqConnection: @unchecked Sendable {
    /// A `PGcancel *`. `@unchecked Sendable`: libpq documents `PQcancel` as safe to call from
    /// any thread while the connection is busy in another.
    private struct CancelHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private struct CancelState {
        var handle: CancelHandle?
        var isRunning = false
        var wasRequested = false
    }

    private let settings: LibpqSettings
    private var connection: OpaquePointer?
    private var statements: PreparedStatementCache
    private var isVerifiedForLease = true
    private let cancelState = Mutex(CancelState())

    private init(settings: LibpqSettings, connection: OpaquePointer) {
        self.settings = settings
        self.connection = connection
        self.statements = PreparedStatementCache(capacity: settings.statementCacheCapacity)
        let handle = PQgetCancel(connection).map(CancelHandle.init)
        self.cancelState.withLock { $0.handle = handle }
    }

    /// Opens a connection and applies the session settings.
    ///
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/connectionFailed``.
    static func connect(_ settings: LibpqSettings) throws(PostgresError) -> LibpqConnection {
        LibpqConnection(settings: settings, connection: try Self.open(settings))
    }

    /// Whether the pool may hand the connection out again: connected, outside any transaction, and
    /// no cancel request that might still reach a later statement.
    var isReusable: Bool {
        guard let connection = self.connection, PQstatus(connection) == CONNECTION_OK,
            PQtransactionStatus(connection) == PQTRANS_IDLE
        else { return false }
        return !self.cancelState.withLock { $0.wasRequested }
    }

    /// Marks the start of a lease: the first call of the lease checks the connection first.
    func beginLease() {
        self.isVerifiedForLease = false
    }

    /// Runs a statement with binary parameters, prepared and cached when the cache is on.
    func execute(_ sql: String, _ binds: [PostgresValue?]) throws(PostgresError) -> PostgresRows {
        let connection = try self.usableConnection()
        let types = binds.map { $0?.typeOID ?? 0 }
        let parameters = EncodedParameters(binds)
        var statementName: String?
        if self.settings.statementCacheCapacity > 0 {
            statementName = try self.prepare(sql, types: types, on: connection)
        }
        let result = self.running {
            parameters.withPointers { values, lengths, formats in
                if let statementName {
                    return PQexecPrepared(
                        connection, statementName, Int32(binds.count), values, lengths, formats, 0)
                }
                return PQexecParams(connection, sql, Int32(binds.count), types, values, lengths, formats, 0)
            }
        }
        return try self.consume(result, on: connection)
    }

    /// Runs SQL text with the simple query protocol: no parameters, any number of statements; the
    /// result is the last statement's.
    func executeScript(_ sql: String) throws(PostgresError) -> PostgresRows {
        let connection = try self.usableConnection()
        let result = self.running { PQexec(connection, sql) }
        return try self.consume(result, on: connection)
    }

    /// Runs `COPY … FROM STDIN` and sends `data` (text format, see ``PostgresCopyText``).
    ///
    /// - Returns: How many rows were copied.
    func copyIn(_ sql: String, data: [UInt8]) throws(PostgresError) -> Int {
        let connection = try self.usableConnection()
        let started = self.running { PQexec(connection, sql) }
        if let started, PQresultStatus(started) == PGRES_COPY_IN {
            PQclear(started)
        } else {
            // Not in COPY mode: the statement failed (or was no COPY); report it as any other.
            _ = try self.consume(started, on: connection)
            throw PostgresError(code: .server, message: "the statement did not start a COPY FROM STDIN")
        }
        let chunk = 1 << 20
        var sent = true
        data.withUnsafeBytes { bytes in
            var offset = 0
            while sent, offset < bytes.count {
                let count = min(chunk, bytes.count - offset)
                let base = bytes.baseAddress.map { $0.advanced(by: offset).assumingMemoryBound(to: CChar.self) }
                sent = self.running { PQputCopyData(connection, base, Int32(count)) == 1 }
                offset += count
            }
        }
        _ = PQputCopyEnd(connection, sent ? nil : "the client could not send the data")
        let result = self.running { PQgetResult(connection) }
        defer {
            // Whatever happened, read the connection back to idle.
            while let extra = PQgetResult(connection) { PQclear(extra) }
        }
        return try self.consume(result, on: connection).affectedRowCount
    }

    /// Asks the server to cancel the statement running now, if one is. Safe from any thread.
    func requestCancel() {
        self.cancelState.withLock { state in
            guard state.isRunning, let handle = state.handle else { return }
            state.wasRequested = true
            var errorBuffer = [CChar](repeating: 0, count: 256)
            // Returns 0 when the request could not be sent; the statement then runs to its timeout.
            _ = PQcancel(handle.pointer, &errorBuffer, Int32(errorBuffer.count))
        }
    }

    /// Closes the connection; the object is unusable afterwards.
    func close() {
        let handle = self.cancelState.withLock { state in
            defer { state.handle = nil }
            return state.handle
        }
        if let handle {
            PQfreeCancel(handle.pointer)
        }
        if let connection = self.connection {
            PQfinish(connection)
        }
        self.connection = nil
    }

    deinit {
        self.close()
    }

    // MARK: Connecting

    private static func open(_ settings: LibpqSettings) throws(PostgresError) -> OpaquePointer {
        let connection = CStringArray(settings.keywords).withPointers { keywords in
            CStringArray(settings.values).withPointers { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection else {
            throw PostgresError(code: .connectionFailed, message: "could not connect to PostgreSQL: out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            var error = PostgresError(code: .connectionFailed, message: "could not connect to PostgreSQL")
            error.serverText = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw error
        }
        // Notices (e.g. "relation already exists, skipping") would otherwise go to stderr.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        let result = PQexec(connection, settings.sessionSetupSQL)
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_COMMAND_OK else {
            var error = PostgresError(
                code: .connectionFailed, message: "could not apply the session settings to a new PostgreSQL connection")
            error.serverText = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw error
        }
        return connection
    }

    /// The connection, checked once per lease: an idle connection whose server went away (restart,
    /// failover, idle timeout) is replaced before it is used.
    private func usableConnection() throws(PostgresError) -> OpaquePointer {
        if !self.isVerifiedForLease {
            self.isVerifiedForLease = true
            if let connection = self.connection, Self.isAlive(connection) {
                return connection
            }
            try self.reconnect()
        }
        guard let connection = self.connection else {
            throw PostgresError(code: .connectionLost, message: "connection to PostgreSQL lost")
        }
        return connection
    }

    private func reconnect() throws(PostgresError) {
        self.close()
        self.statements.removeAll()
        self.cancelState.withLock { $0.wasRequested = false }
        let connection = try Self.open(self.settings)
        self.connection = connection
        let handle = PQgetCancel(connection).map(CancelHandle.init)
        self.cancelState.withLock { $0.handle = handle }
    }

    /// Whether an idle connection still has a server at the other end, without blocking: libpq's
    /// socket is non-blocking, so reading what arrived (a notice, or the server's goodbye before it
    /// closed) and peeking for end-of-file return at once.
    private static func isAlive(_ connection: OpaquePointer) -> Bool {
        for _ in 0..<4 {
            guard PQstatus(connection) == CONNECTION_OK, PQconsumeInput(connection) == 1,
                PQstatus(connection) == CONNECTION_OK
            else { return false }
            let socket = PQsocket(connection)
            guard socket >= 0 else { return false }
            var byte: UInt8 = 0
            let peeked = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
            if peeked == 0 {
                return false  // The server closed the connection.
            }
            if peeked < 0 {
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
            }
            // More input waiting: let libpq read it, then look again.
        }
        return PQstatus(connection) == CONNECTION_OK
    }

    // MARK: Statements

    private func prepare(_ sql: String, types: [UInt32], on connection: OpaquePointer) throws(PostgresError)
        -> String
    {
        let key = PreparedStatementCache.Key(sql: sql, parameterTypes: types)
        if let name = self.statements.name(for: key) {
            return name
        }
        if let evicted = self.statements.evictIfFull() {
            // Fails only inside an aborted transaction; the statement then stays on the server
            // under a name this connection never reuses.
            PQclear(PQexec(connection, "DEALLOCATE \(evicted)"))
        }
        let name = self.statements.makeName()
        let result = self.running { PQprepare(connection, name, sql, Int32(types.count), types) }
        _ = try self.consume(result, on: connection)
        self.statements.insert(name, for: key)
        return name
    }

    /// Runs a blocking libpq call while allowing ``requestCancel()`` to reach it.
    private func running<Result>(_ call: () -> Result) -> Result {
        self.cancelState.withLock { $0.isRunning = true }
        defer { self.cancelState.withLock { $0.isRunning = false } }
        return call()
    }

    /// Reads a result into memory and frees it, or turns it into a ``PostgresError``.
    private func consume(_ result: OpaquePointer?, on connection: OpaquePointer) throws(PostgresError)
        -> PostgresRows
    {
        guard let result else {
            var error = PostgresError(
                code: PQstatus(connection) == CONNECTION_BAD ? .connectionLost : .server,
                message: PQstatus(connection) == CONNECTION_BAD
                    ? "connection to PostgreSQL lost" : "PostgreSQL returned no result"
            )
            error.serverText = Self.trimmed(PQerrorMessage(connection))
            throw error
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return Self.rows(of: result)
        default:
            throw Self.error(of: result, connectionLost: PQstatus(connection) == CONNECTION_BAD)
        }
    }

    private static func rows(of result: OpaquePointer) -> PostgresRows {
        let fieldCount = Int(PQnfields(result))
        let rowCount = Int(PQntuples(result))
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(fieldCount)
        for field in 0..<Int32(fieldCount) {
            let name = PQfname(result, field).map { String(cString: $0) } ?? ""
            columns.append(PostgresColumn(name: name, typeOID: PQftype(result, field)))
        }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            var values: [PostgresValue?] = []
            values.reserveCapacity(fieldCount)
            for field in 0..<Int32(fieldCount) {
                if PQgetisnull(result, row, field) == 1 {
                    values.append(nil)
                    continue
                }
                let length = Int(PQgetlength(result, row, field))
                let value = PQgetvalue(result, row, field).map { pointer in
                    pointer.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
                        PostgresValue.decodeText(
                            UnsafeBufferPointer(start: bytes, count: length), oid: columns[Int(field)].typeOID)
                    }
                }
                values.append(value)
            }
            rows.append(PostgresRow(columns: columns, values: values))
        }
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        return PostgresRows(columns: columns, rows: rows, affectedRowCount: affected, commandTag: tag)
    }

    private static func error(of result: OpaquePointer, connectionLost: Bool) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let text = PQresultErrorField(result, Int32(ascii)) else {
                return nil
            }
            return String(cString: text)
        }
        return PostgresError(
            serverSQLState: field("C"),
            constraintName: field("n"),
            tableName: field("t"),
            columnName: field("c"),
            serverText: Self.trimmed(PQresultErrorMessage(result)),
            connectionLost: connectionLost
        )
    }

    private static func trimmed(_ text: UnsafeMutablePointer<CChar>?) -> String? {
        guard let text else { return nil }
        var string = String(cString: text)
        while string.last?.isWhitespace == true {
            string.removeLast()
        }
        return string
    }
}
