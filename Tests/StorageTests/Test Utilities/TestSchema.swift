import Foundation
import Logging
import Storage

/// An empty schema of its own for one test in the shared test database, so tests that create
/// tables or run migrations neither see nor disturb each other. The app role owns the database,
/// so it may create schemas; the schema and everything in it is dropped afterwards.
enum TestSchema {
    /// Creates a schema, runs `body` with a pool whose `search_path` is that schema, then shuts the
    /// pool down and drops the schema.
    ///
    /// - Parameters:
    ///   - options: The pool's options (the search path is replaced by the schema).
    ///   - body: The test, given the pool and the schema's name.
    static func with<R>(
        options: PostgresPool.Configuration.Options = .defaults,
        _ body: (PostgresPool, String) async throws -> R
    ) async throws -> R {
        let url = try TestEnvironment.databaseURL()
        let schema = "test_" + UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(20)
        let administration = self.pool(url: url, searchPath: nil)
        do {
            try await administration.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
        } catch {
            await administration.shutdown()
            throw error
        }
        var options = options
        // `public` after it: pgvector's type and operators live there.
        options.searchPath = [schema, "public"]
        let pool = PostgresPool(configuration: .init(url: url, options: options), logger: .quiet)
        let result: Result<R, any Error>
        do {
            result = .success(try await body(pool, schema))
        } catch {
            result = .failure(error)
        }
        await pool.shutdown()
        _ = try? await administration.execute(PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"))
        await administration.shutdown()
        return try result.get()
    }

    /// A second pool on the same schema, e.g. to run two migrators at once.
    static func pool(url: String, searchPath: [String]?) -> PostgresPool {
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = 2
        options.searchPath = searchPath
        return PostgresPool(configuration: .init(url: url, options: options), logger: .quiet)
    }
}

extension PostgresPool.Configuration.Options {
    /// The defaults with some values replaced, for tests.
    static func testing(
        maximumConnections: Int = 10,
        acquireTimeout: Duration = .seconds(5),
        statementTimeout: Duration? = .seconds(30),
        applicationName: String = "metachat-tests"
    ) -> Self {
        var options = Self.defaults
        options.maximumConnections = maximumConnections
        options.acquireTimeout = acquireTimeout
        options.statementTimeout = statementTimeout
        options.applicationName = applicationName
        return options
    }
}
