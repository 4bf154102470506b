import Foundation
import Logging
import Storage
import Testing

@Suite("PostgresPool")
struct PostgresPoolTests {
    /// A value and the name of its type, for parameterised round trips.
    struct RoundTrip: Sendable, CustomTestStringConvertible {
        var value: PostgresValue
        var typeName: String
        var testDescription: String { self.typeName }
    }

    static let roundTrips: [RoundTrip] = [
        RoundTrip(value: .text("Grüße, 世界 — \"quoted\" 'single' \\ backslash"), typeName: "text"),
        RoundTrip(value: .text(""), typeName: "text"),
        RoundTrip(value: .int32(Int32.min), typeName: "integer"),
        RoundTrip(value: .int32(Int32.max), typeName: "integer"),
        RoundTrip(value: .int64(Int64.min), typeName: "bigint"),
        RoundTrip(value: .int64(9_007_199_254_740_993), typeName: "bigint"),
        RoundTrip(value: .float64(-1.5e-300), typeName: "double precision"),
        RoundTrip(value: .bool(true), typeName: "boolean"),
        RoundTrip(value: .bool(false), typeName: "boolean"),
        RoundTrip(value: .uuid(UUID(uuidString: "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0") ?? UUID()), typeName: "uuid"),
        RoundTrip(value: .bytea([0, 1, 0, 255, 92, 120, 39]), typeName: "bytea"),
        RoundTrip(value: .bytea([]), typeName: "bytea"),
        RoundTrip(value: .jsonb(#"{"a": [1, "two", null], "b": {"c": true}}"#), typeName: "jsonb"),
    ]

    @Test("Every bind type is sent with its own type and reads back equal", arguments: Self.roundTrips)
    func bindRoundTrip(roundTrip: RoundTrip) async throws {
        try await TestSchema.with { pool, _ in
            let rows = try await pool.query("SELECT $1 AS value, pg_typeof($1)::text AS type", [roundTrip.value])

            let row = try #require(rows.first)
            #expect(try row.decode("type", as: String.self) == roundTrip.typeName)
            #expect(rows.columns[0].typeOID == roundTrip.value.typeOID)
            #expect(try row.decode("value", as: PostgresValue.self) == roundTrip.value)
        }
    }

    @Test("A text-format value followed by binary ones is read up to its own end")
    func textValueBeforeBinaryValues() async throws {
        try await TestSchema.with { pool, _ in
            // Without a NUL of its own, libpq read the untyped value on into the float's bytes.
            let rows = try await pool.query(
                "SELECT $1::numeric::text AS first, $2::float8 AS second, $3::numeric::text AS third",
                [.unknown("12.5"), .float64(-2.000_000_1), .unknown("7")])
            #expect(try rows[0].decode("first", as: String.self) == "12.5")
            #expect(try rows[0].decode("second", as: Double.self) == -2.000_000_1)
            #expect(try rows[0].decode("third", as: String.self) == "7")
        }
    }

    @Test("A timestamp survives the round trip to the microsecond and comes back in UTC")
    func timestampRoundTrip() async throws {
        try await TestSchema.with { pool, _ in
            let instant = Date(timeIntervalSince1970: 1_717_171_717.123456)

            let rows = try await pool.query(
                "SELECT \(instant) AS value, pg_typeof(\(instant))::text AS type, to_char(\(instant) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS text"
            )

            let row = try #require(rows.first)
            #expect(try row.decode("type", as: String.self) == "timestamp with time zone")
            #expect(try row.decode("text", as: String.self) == "2024-05-31 16:08:37.123456")
            let decoded = try row.decode("value", as: Date.self)
            #expect(abs(decoded.timeIntervalSince(instant)) < 0.000_001)
        }
    }

    @Test("NULL binds and NULL results decode as nil into optionals and fail for non-optionals")
    func nullHandling() async throws {
        try await TestSchema.with { pool, _ in
            let missing: String? = nil
            let rows = try await pool.query("SELECT \(missing)::text AS value")

            let row = try #require(rows.first)
            #expect(try row.decode("value", as: String?.self) == nil)
            #expect(row.values == [nil])
            let error = try #require(throws: PostgresError.self) { try row.decode("value", as: String.self) }
            #expect(error.code == .decodingFailed)
            #expect(error.message.contains("\"value\""))
        }
    }

    @Test("Interpolated values become numbered parameters, so quotes in them are data, not SQL")
    func interpolationIsNotInjection() async throws {
        let hostile = "x'); DROP TABLE victims; --"
        let query: PostgresQuery = "SELECT \(hostile) AS a, \(42) AS b"

        #expect(query.sql == "SELECT $1 AS a, $2 AS b")
        #expect(query.binds == [.text(hostile), .int64(42)])
        try await TestSchema.with { pool, _ in
            try await pool.execute("CREATE TABLE victims (id int)")

            let rows = try await pool.query(query)

            let victims = try await pool.query("SELECT count(*) AS n FROM victims")
            #expect(try rows[0].decode("a", as: String.self) == hostile)
            #expect(try victims[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test("Types without a case of their own arrive as their text form")
    func otherTypesKeepText() async throws {
        try await TestSchema.with { pool, _ in
            let rows = try await pool.query(
                "SELECT 12.50::numeric AS amount, DATE '2024-02-29' AS day, \(PostgresValue.unknown("7.25"))::numeric AS typed"
            )

            #expect(rows[0].values[0]?.otherText == "12.50")
            #expect(try rows[0].decode("day", as: String.self) == "2024-02-29")
            #expect(try rows[0].decode("typed", as: String.self) == "7.25")
        }
    }

    @Test("execute reports affected rows; a repeated statement runs from the prepared-statement cache")
    func affectedRowsAndRepeatedStatements() async throws {
        try await TestSchema.with(options: .testing(maximumConnections: 1)) { pool, _ in
            try await pool.execute("CREATE TABLE items (n int)")
            for n in 1...5 {
                try await pool.execute("INSERT INTO items (n) VALUES (\(Int32(n)))")
            }

            let updated = try await pool.execute("UPDATE items SET n = n + 1 WHERE n > \(Int32(2))")
            let prepared = try await pool.query(
                "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO items%'")

            #expect(updated == 3)
            #expect(try prepared[0].decode("n", as: Int.self) == 1)
        }
    }

    @Test("50 concurrent queries on a pool of 4 all succeed on at most 4 server sessions")
    func poolBoundIsRespected() async throws {
        let applicationName = "bound-" + UUID().uuidString
        try await TestSchema.with(
            options: .testing(maximumConnections: 4, acquireTimeout: .seconds(60), applicationName: applicationName)
        ) { pool, _ in
            let pids = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let rows = try await pool.query("SELECT pg_backend_pid() AS pid, pg_sleep(0.02)")
                        return try rows[0].decode("pid", as: Int.self)
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            let sessions = try await pool.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = \(applicationName)")

            #expect(pids.count == 50)
            #expect(Set(pids).count <= 4)
            #expect(Set(pids).count > 1)
            #expect(try sessions[0].decode("n", as: Int.self) <= 4)
        }
    }

    @Test("When every connection stays busy, a caller fails after the acquire timeout with an unavailable error")
    func acquireTimeout() async throws {
        try await TestSchema.with(options: .testing(maximumConnections: 1, acquireTimeout: .milliseconds(300))) {
            pool, _ in
            let (held, heldContinuation) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseContinuation) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await pool.withConnection { connection in
                    _ = try await connection.query("SELECT 1")
                    heldContinuation.yield()
                    for await _ in release {}
                }
            }
            for await _ in held { break }
            let clock = ContinuousClock()
            let start = clock.now

            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            let waited = clock.now - start
            releaseContinuation.finish()
            try await holder.value

            #expect(error?.code == .acquireTimeout)
            #expect(error?.isUnavailable == true)
            #expect(waited >= .milliseconds(300))
            #expect(waited < .seconds(5))
            #expect(try await pool.query("SELECT 1 AS one")[0].decode("one", as: Int.self) == 1)
        }
    }

    @Test("A statement past statement_timeout fails with SQLSTATE 57014 and the connection stays usable")
    func statementTimeout() async throws {
        try await TestSchema.with(options: .testing(maximumConnections: 1, statementTimeout: .milliseconds(200))) {
            pool, _ in
            let clock = ContinuousClock()
            let start = clock.now

            let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT pg_sleep(10)") }

            #expect(error?.sqlState == "57014")
            #expect(error?.isQueryCanceled == true)
            #expect(error?.code == .server)
            #expect(clock.now - start < .seconds(5))
            let setting = try await pool.query("SELECT current_setting('statement_timeout') AS value")
            #expect(try setting[0].decode("value", as: String.self) == "200ms")
        }
    }

    @Test("Cancelling the task running a statement cancels it on the server")
    func cancellationReachesTheServer() async throws {
        try await TestSchema.with(options: .testing(maximumConnections: 1)) { pool, _ in
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let clock = ContinuousClock()
            let task = Task {
                // Ends the stream also when no connection could be had, so the test fails instead of waiting.
                defer { startedContinuation.finish() }
                return try await pool.withConnection { connection in
                    startedContinuation.yield()
                    return try await connection.query("SELECT pg_sleep(30)")
                }
            }
            var begun = false
            for await _ in started {
                begun = true
                break
            }
            if !begun {
                _ = try await task.value
                Issue.record("the statement never started")
                return
            }
            // The statement is on its way; cancel once the server shows it running.
            try await Deadline.poll("the sleeping statement to show in pg_stat_activity", within: .seconds(10)) {
                let waiting = try await TestSchema.countSessions(runningQueryLike: "SELECT pg_sleep(30)")
                return waiting > 0
            }
            let start = clock.now
            task.cancel()

            await #expect(throws: (any Error).self) { try await task.value }

            #expect(clock.now - start < .seconds(10))
            #expect(try await pool.query("SELECT 2 AS two")[0].decode("two", as: Int.self) == 2)
        }
    }

    @Test("A unique violation is recognisable, names its constraint, and its message quotes no value")
    func uniqueViolation() async throws {
        try await TestSchema.with { pool, _ in
            let secret = "secret-\(UUID().uuidString)@example.com"
            try await pool.execute("CREATE TABLE accounts (email text PRIMARY KEY)")
            try await pool.execute("INSERT INTO accounts (email) VALUES (\(secret))")

            let error = await #expect(throws: PostgresError.self) {
                try await pool.execute("INSERT INTO accounts (email) VALUES (\(secret))")
            }

            #expect(error?.isUniqueViolation == true)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraintName == "accounts_pkey")
            #expect(error?.isUnavailable == false)
            #expect(error?.message.contains(secret) == false)
            #expect(error.map { String(describing: $0) }?.contains(secret) == false)
            #expect(error?.message.contains("unique_violation") == true)
            #expect(error.map { String(reflecting: $0) }?.contains("duplicate key") == true)
        }
    }

    @Test("A transaction commits when its closure returns and rolls back when it throws")
    func transactionCommitAndRollback() async throws {
        struct Abort: Error {}
        try await TestSchema.with { pool, _ in
            try await pool.execute("CREATE TABLE notes (body text)")

            try await pool.withTransaction { connection in
                try await connection.execute("INSERT INTO notes VALUES (\("kept"))")
            }
            await #expect(throws: Abort.self) {
                try await pool.withTransaction { connection in
                    try await connection.execute("INSERT INTO notes VALUES (\("discarded"))")
                    throw Abort()
                }
            }

            let rows = try await pool.query("SELECT body FROM notes")
            #expect(try rows.map { try $0.decode("body", as: String.self) } == ["kept"])
        }
    }

    @Test("A transaction whose statement failed is not committed even if the closure swallowed the error")
    func failedTransactionIsNotCommitted() async throws {
        try await TestSchema.with { pool, _ in
            try await pool.execute("CREATE TABLE notes (body text NOT NULL)")

            let error = await #expect(throws: PostgresError.self) {
                try await pool.withTransaction { connection in
                    try await connection.execute("INSERT INTO notes VALUES (\("first"))")
                    _ = try? await connection.execute("INSERT INTO notes VALUES (NULL)")
                }
            }

            #expect(error?.sqlState == "25P02")
            #expect(try await pool.query("SELECT count(*) AS n FROM notes")[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test("A connection used after its closure returned is refused")
    func connectionUsedAfterLease() async throws {
        try await TestSchema.with { pool, _ in
            let escaped = try await pool.withConnection { $0 }

            let error = await #expect(throws: PostgresError.self) { try await escaped.query("SELECT 1") }

            #expect(error?.code == .connectionNotLeased)
        }
    }

    @Test("A server that cannot be reached gives connectionFailed, an unavailable error without the password")
    func unreachableServer() async throws {
        let port = try await ClosedPort.make()
        var options = PostgresPool.Configuration.Options.defaults
        options.connectTimeout = .seconds(2)
        let pool = PostgresPool(
            configuration: .init(
                url: "postgresql://metachat:hunter2-secret@127.0.0.1:\(port)/metachat", options: options),
            logger: .quiet
        )

        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        await pool.shutdown()

        #expect(error?.code == .connectionFailed)
        #expect(error?.isUnavailable == true)
        #expect(error.map { String(reflecting: $0) }?.contains("hunter2-secret") == false)
    }

    @Test("A Prisma-style schema parameter in the URL becomes the search path instead of failing")
    func prismaSchemaParameter() async throws {
        try await TestSchema.with { _, schema in
            let url = try TestEnvironment.databaseURL()
            let pool = PostgresPool(configuration: .init(url: url + "?schema=\(schema)"), logger: .quiet)

            let rows = try await pool.query("SELECT current_schema() AS schema")
            await pool.shutdown()

            #expect(try rows[0].decode("schema", as: String.self) == schema)
        }
    }

    @Test("usage counts lent connections and queued callers, and renders them as gauges; waits are summed")
    func usageCountsLentConnectionsAndWaiters() async throws {
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = 1
        let pool = PostgresPool(
            configuration: .init(url: try TestEnvironment.databaseURL(), options: options), logger: .quiet)
        #expect(pool.usage == PoolUsage(open: 0, inUse: 0, waiting: 0, maximum: 1))

        let (lent, lentContinuation) = AsyncStream<Void>.makeStream()
        let (release, releaseContinuation) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { _ in
                lentContinuation.yield()
                for await _ in release { break }
            }
        }
        for await _ in lent { break }
        #expect(pool.usage == PoolUsage(open: 1, inUse: 1, waiting: 0, maximum: 1))

        let waiter = Task { try await pool.query("SELECT 1") }
        let deadline = ContinuousClock.now + .seconds(10)
        while pool.usage.waiting == 0, ContinuousClock.now < deadline {
            await Task.yield()
        }
        #expect(pool.usage.waiting == 1)
        let waitingSeen = ContinuousClock.now
        #expect(
            pool.usage.prometheusText(prefix: "p")
                == "# TYPE p_connections_open gauge\np_connections_open 1\n"
                + "# TYPE p_connections_in_use gauge\np_connections_in_use 1\n"
                + "# TYPE p_connections_max gauge\np_connections_max 1\n"
                + "# TYPE p_waiting_callers gauge\np_waiting_callers 1\n"
        )

        let heldWhileWaiting = ContinuousClock.now - waitingSeen
        releaseContinuation.yield()
        try await holder.value
        _ = try await waiter.value
        #expect(pool.usage == PoolUsage(open: 1, inUse: 0, waiting: 0, maximum: 1))
        // The waiter waited at least from when it was seen queued until the holder let go.
        let totals = pool.waitTotals
        #expect(totals.acquisitions == 2)
        let (seconds, attoseconds) = heldWhileWaiting.components
        #expect(totals.waitedNanoseconds >= seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        #expect(totals.waitedNanoseconds > 0)
        let text = PoolWaitTotals(acquisitions: 2, waitedNanoseconds: 1_500_000_000).prometheusText(prefix: "p")
        #expect(text.contains("# TYPE p_acquisitions_total counter\np_acquisitions_total 2\n"))
        #expect(text.contains("# TYPE p_acquire_wait_seconds_total counter\np_acquire_wait_seconds_total 1.5\n"))
        await pool.shutdown()
    }

    @Test("After shutdown the pool refuses work with poolShutDown")
    func shutdownRefusesWork() async throws {
        let pool = PostgresPool(configuration: .init(url: try TestEnvironment.databaseURL()), logger: .quiet)
        _ = try await pool.query("SELECT 1")

        await pool.shutdown()
        let error = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }

        #expect(error?.code == .poolShutDown)
    }
}

extension TestSchema {
    /// How many sessions of the shared test server are running a statement starting with `prefix`.
    static func countSessions(runningQueryLike prefix: String) async throws -> Int {
        let pool = self.pool(url: try TestEnvironment.databaseURL(), searchPath: nil)
        do {
            let rows = try await pool.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query = \(prefix)")
            await pool.shutdown()
            return try rows[0].decode("n", as: Int.self)
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}
