import Storage
import Testing

@Suite("PostgreSQL restart")
struct PostgresRestartTests {
    @Test("While PostgreSQL is down calls fail as unavailable; the first call after it is back succeeds")
    func poolRecoversAfterServerRestart() async throws {
        let server = try await ScratchPostgresServer.start()
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = 2
        options.connectTimeout = .seconds(2)
        let pool = PostgresPool(configuration: .init(url: server.url, options: options), logger: .quiet)
        do {
            let before = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)

            try await server.stopServer()
            let outage = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            try await server.startServer()
            let after = try await pool.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)

            #expect(outage?.isUnavailable == true)
            #expect(outage?.code == .connectionFailed)
            #expect(after != before)
        } catch {
            await pool.shutdown()
            await server.destroy()
            throw error
        }
        await pool.shutdown()
        await server.destroy()
    }

    @Test("Every idle connection to a server that restarted is replaced on its next use, so no call fails")
    func idleConnectionsAreReplacedAfterRestart() async throws {
        let server = try await ScratchPostgresServer.start()
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = 3
        let pool = PostgresPool(configuration: .init(url: server.url, options: options), logger: .quiet)
        do {
            let before = try await Self.concurrentBackendIDs(pool, count: 3)
            #expect(before.count == 3)

            try await server.stopServer()
            try await server.startServer()
            let after = try await Self.concurrentBackendIDs(pool, count: 3)

            #expect(after.count == 3)
            #expect(after.isDisjoint(with: before))
        } catch {
            await pool.shutdown()
            await server.destroy()
            throw error
        }
        await pool.shutdown()
        await server.destroy()
    }

    /// Runs `count` overlapping statements, so each holds its own connection, and returns their backend ids.
    private static func concurrentBackendIDs(_ pool: PostgresPool, count: Int) async throws -> Set<Int> {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await pool.query("SELECT pg_backend_pid() AS pid, pg_sleep(0.2)")[0].decode("pid", as: Int.self)
                }
            }
            return try await group.reduce(into: Set<Int>()) { $0.insert($1) }
        }
    }

    @Test("A transaction whose connection dies fails with connectionLost and the pool carries on")
    func connectionLostMidTransaction() async throws {
        let server = try await ScratchPostgresServer.start()
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = 1
        let pool = PostgresPool(configuration: .init(url: server.url, options: options), logger: .quiet)
        do {
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withTransaction { connection in
                    _ = try await connection.query("SELECT 1")
                    _ = try await connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
                }
            }

            #expect(error?.isUnavailable == true)
            #expect(error?.code == .connectionLost)
            #expect(try await pool.query("SELECT 3 AS three")[0].decode("three", as: Int.self) == 3)
        } catch {
            await pool.shutdown()
            await server.destroy()
            throw error
        }
        await pool.shutdown()
        await server.destroy()
    }
}
