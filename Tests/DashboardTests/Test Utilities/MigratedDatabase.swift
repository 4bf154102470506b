import Foundation
import Logging
import Storage

/// A schema of its own in the test database, migrated to the latest MetaChat schema, for one test;
/// dropped afterwards. (HandlersTests has the same helper.)
enum MigratedDatabase {
    private static let logger = Logger(label: "dashboard-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` with a pool whose `search_path` is a fresh, migrated schema.
    static func with<R>(maximumConnections: Int = 4, _ body: (PostgresPool) async throws -> R) async throws -> R {
        let url = try TestEnvironment.databaseURL()
        let schema = "test_" + UUID().uuidString.lowercased().filter { $0 != "-" }.prefix(20)
        var adminOptions = PostgresPool.Configuration.Options.defaults
        adminOptions.maximumConnections = 1
        let administration = PostgresPool(configuration: .init(url: url, options: adminOptions), logger: Self.logger)
        do {
            try await administration.execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
        } catch {
            await administration.shutdown()
            throw error
        }
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = maximumConnections
        options.searchPath = [schema, "public"]
        let pool = PostgresPool(configuration: .init(url: url, options: options), logger: Self.logger)
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
