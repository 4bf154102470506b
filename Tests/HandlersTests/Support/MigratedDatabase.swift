import Foundation
import Logging
import Storage

/// A fresh, fully migrated schema of its own in the test database for one test, dropped afterwards.
enum MigratedDatabase {
    /// Creates a schema, migrates it with the server's migrations, runs `body` with a pool on it,
    /// then shuts the pool down and drops the schema.
    ///
    /// - Parameter body: The test, given the pool.
    static func with<R>(_ body: (PostgresPool) async throws -> R) async throws -> R {
        let url = try TestEnvironment.databaseURL()
        let schema = "auth_" + UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(20)
        // Small pools, and the suites using this run their tests one at a time: every test target
        // shares one server with a connection limit.
        var administrationOptions = PostgresPool.Configuration.Options.defaults
        administrationOptions.maximumConnections = 1
        let administration = PostgresPool(
            configuration: .init(url: url, options: administrationOptions), logger: .quiet)
        do {
            try await administration.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
        } catch {
            await administration.shutdown()
            throw error
        }
        var options = PostgresPool.Configuration.Options.defaults
        options.searchPath = [schema]
        options.maximumConnections = 2
        let pool = PostgresPool(configuration: .init(url: url, options: options), logger: .quiet)
        let result: Result<R, any Error>
        do {
            _ = try await Migrator(migrations: Migration.metaChat).migrate(on: pool)
            result = .success(try await body(pool))
        } catch {
            result = .failure(error)
        }
        await pool.shutdown()
        _ = try? await administration.execute(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"))
        await administration.shutdown()
        return try result.get()
    }
}
