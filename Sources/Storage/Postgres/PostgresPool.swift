package import FoundationEssentials
package import Logging
internal import NIOPosix

/// A bounded pool of PostgreSQL connections over libpq.
///
/// At most ``Configuration/Options/maximumConnections`` connections are open; libpq runs on a
/// thread pool of that many threads owned by the pool, so no call blocks an event loop or the
/// Swift cooperative pool. Parameters are sent in binary and statements are prepared once per
/// connection. A connection whose server went away while it sat idle (restart, failover) is
/// replaced on its next use, so the first call after PostgreSQL comes back succeeds; calls made
/// while it is down fail with an error whose ``PostgresError/isUnavailable`` is true.
///
/// ```swift
/// let pool = PostgresPool(configuration: .init(url: databaseURL), logger: logger)
/// let rows = try await pool.query("SELECT name FROM tenants WHERE id = \(tenantID)")
/// try await pool.withTenantTransaction(tenantID: tenantID) { connection in
///     try await connection.execute("UPDATE tenants SET name = \(name) WHERE id = \(tenantID)")
/// }
/// await pool.shutdown()
/// ```
///
/// Row-level security: tenant-owned tables show rows only inside
/// ``withTenantTransaction(tenantID:isolation:_:)`` (that tenant's) or
/// ``withAdminTransaction(isolation:_:)`` (all); see `docs/decisions.md`.
///
/// As a ``Service`` (in `serve`'s `ServiceGroup`) it runs until graceful shutdown, then shuts
/// down; used on its own, call ``shutdown()`` before the pool is released.
package final class PostgresPool: Sendable {
    /// The configuration the pool was created with.
    package let configuration: Configuration
    private let logger: Logger
    private let threadPool: PoolThreads
    private let pool: ConnectionPool<LibpqConnection>

    /// How many connections the pool holds and lends and how many callers wait, read at once
    /// (for `/metrics`; one lock, nothing on the query path).
    package var usage: PoolUsage {
        let statistics = self.pool.statistics
        return PoolUsage(
            open: statistics.open,
            inUse: statistics.leased,
            waiting: statistics.waiting,
            maximum: max(1, self.configuration.options.maximumConnections)
        )
    }

    /// How long callers have waited for a connection, summed, and how many asked (for `/metrics`;
    /// two relaxed atomic loads).
    package var waitTotals: PoolWaitTotals { self.pool.waitTotals }

    /// Creates a pool; nothing starts yet: its threads start with its ``Service`` run or its
    /// first connection, and connections open on first use.
    ///
    /// - Parameters:
    ///   - configuration: Where PostgreSQL is and how to use it.
    ///   - logger: Receives connection events (never SQL or values).
    package init(configuration: Configuration, logger: Logger) {
        let maximum = max(1, configuration.options.maximumConnections)
        let threadPool = PoolThreads(count: maximum)
        let settings = LibpqSettings(configuration: configuration)
        self.configuration = configuration
        self.logger = logger
        self.threadPool = threadPool
        self.pool = ConnectionPool(
            maximum: maximum,
            acquireTimeout: configuration.options.acquireTimeout,
            open: {
                do {
                    let connection = try await threadPool.run { try LibpqConnection.connect(settings) }
                    logger.debug("opened a PostgreSQL connection")
                    return connection
                } catch let error as PostgresError {
                    logger.warning("could not open a PostgreSQL connection", metadata: ["error": "\(error.message)"])
                    throw error
                } catch is NIOThreadPoolError.ThreadPoolInactive {
                    throw PostgresError(code: .poolShutDown, message: "the PostgreSQL pool is shut down")
                }
            },
            close: { connection in
                do {
                    try await threadPool.run { connection.close() }
                } catch {
                    connection.close()
                }
                logger.debug("closed a PostgreSQL connection")
            }
        )
    }

    /// Leases a connection for the duration of `body`.
    ///
    /// The connection goes back to the pool when `body` returns or throws; if `body` left it broken
    /// or inside a transaction, it is closed instead.
    ///
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/acquireTimeout`` when every
    ///   connection stays busy for the acquire timeout, ``PostgresError/Code/connectionFailed`` when
    ///   no connection can be opened, ``PostgresError/Code/poolShutDown`` after ``shutdown()``; or
    ///   what `body` threw.
    @discardableResult
    package func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let connection: LibpqConnection
        do {
            connection = try await self.pool.acquire()
        } catch ConnectionPoolFailure.acquireTimeout {
            throw PostgresError(
                code: .acquireTimeout,
                message: "no PostgreSQL connection became free within the acquire timeout"
            )
        } catch ConnectionPoolFailure.shutDown {
            throw PostgresError(code: .poolShutDown, message: "the PostgreSQL pool is shut down")
        }
        connection.beginLease()
        let handle = PostgresConnection(
            connection: connection, lease: PostgresConnection.Lease(), threadPool: self.threadPool)
        do {
            let result = try await body(handle)
            handle.lease.end()
            await self.pool.release(connection, reusable: connection.isReusable)
            return result
        } catch {
            handle.lease.end()
            await self.pool.release(connection, reusable: connection.isReusable)
            throw error
        }
    }

    /// Runs one statement on a pooled connection and returns its rows.
    ///
    /// ```swift
    /// let rows = try await pool.query("SELECT count(*) AS n FROM api_keys WHERE active = \(true)")
    /// let count = try rows[0].decode("n", as: Int.self)
    /// ```
    package func query(_ query: PostgresQuery) async throws -> PostgresRows {
        try await self.withConnection { try await $0.query(query) }
    }

    /// Runs one literal statement with `$n` placeholders and its parameters.
    package func query(_ sql: StaticString, _ binds: [PostgresValue?]) async throws -> PostgresRows {
        try await self.withConnection { try await $0.query(sql, binds) }
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    package func execute(_ query: PostgresQuery) async throws -> Int {
        try await self.withConnection { try await $0.execute(query) }
    }

    /// Runs one literal statement with `$n` placeholders and returns how many rows it affected.
    @discardableResult
    package func execute(_ sql: StaticString, _ binds: [PostgresValue?]) async throws -> Int {
        try await self.withConnection { try await $0.execute(sql, binds) }
    }

    /// Runs `body` in a transaction, committed when it returns and rolled back when it throws.
    ///
    /// No row-level-security scope is set: tenant-owned tables show no rows. Use
    /// ``withTenantTransaction(tenantID:isolation:_:)`` or ``withAdminTransaction(isolation:_:)``
    /// for them.
    @discardableResult
    package func withTransaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        try await self.withConnection { connection in
            try await connection.transaction(setup: nil, body)
        }
    }

    /// Runs `body` in a transaction scoped to one tenant: together with `BEGIN` it runs
    /// `SELECT set_config('app.tenant_id', '<tenant id>', true)`, so row-level security shows and accepts
    /// only that tenant's rows. The setting ends with the transaction.
    @discardableResult
    package func withTenantTransaction<Result>(
        tenantID: UUID,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        // A UUID's text is hex digits and dashes: safe to send inline, saving a round trip.
        let scope = "SELECT set_config('app.tenant_id', '\(tenantID.lowercasedString)', true)"
        return try await self.withConnection { connection in
            try await connection.transaction(setup: scope, body)
        }
    }

    /// Runs `body` in a transaction with the admin scope (`app.scope = 'admin'`), in which
    /// row-level security shows and accepts every tenant's rows: for operator endpoints and for
    /// lookups that come before a tenant is known (finding an API key by its prefix).
    @discardableResult
    package func withAdminTransaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        let scope = "SELECT set_config('app.scope', 'admin', true)"
        return try await self.withConnection { connection in
            try await connection.transaction(setup: scope, body)
        }
    }

    /// Starts the threads (they also start with the first connection).
    func startThreads() {
        self.threadPool.start()
    }

    /// Stops the pool: waiting callers fail, idle connections close, connections in use close when
    /// they come back, then the threads stop. Returns once all of that happened.
    package func shutdown() async {
        await self.pool.shutDown()
        if !(await self.threadPool.stop()) {
            self.logger.warning("the PostgreSQL pool's threads did not stop cleanly")
        }
    }
}
