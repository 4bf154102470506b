import Foundation
import Storage

/// The real PostgreSQL and Redis that `scripts/test.sh` starts, read from the environment.
///
/// A missing or malformed variable throws ``MissingService``, so the test that asked fails with a message saying how
/// to run it; it is never skipped. (StorageTests has the same helper; test targets cannot share code without a
/// support target of their own.)
enum TestEnvironment {
    /// The variable holding PostgreSQL's URL, `postgresql://user:password@host:port/database`.
    static let databaseURLVariable = "METACHAT_TEST_DATABASE_URL"
    /// The variable holding Redis' URL, `redis://host:port/db`.
    static let redisURLVariable = "METACHAT_TEST_REDIS_URL"

    /// Why a test could not reach a service it needs.
    struct MissingService: Error, CustomStringConvertible {
        /// The variable that was missing or malformed.
        var variable: String
        /// What was wrong with it.
        var problem: String

        var description: String {
            "\(self.variable) \(self.problem); run the tests with scripts/test.sh, which starts PostgreSQL and Redis"
                + " and exports it"
        }
    }

    /// The variable holding the offline embedding server's base URL, `http://127.0.0.1:PORT/v1`
    /// (`scripts/embedding-server.py`, started by `scripts/test.sh`).
    static let embeddingURLVariable = "METACHAT_TEST_EMBEDDING_URL"

    /// The offline embedding server's base URL.
    static func embeddingURL() throws -> String {
        try self.value(of: self.embeddingURLVariable)
    }

    /// PostgreSQL's libpq connection URI.
    static func databaseURL() throws -> String {
        try self.value(of: self.databaseURLVariable)
    }

    /// Redis' address.
    static func redisURL() throws -> RedisURL {
        let text = try self.value(of: self.redisURLVariable)
        guard let url = RedisURL(text) else {
            throw MissingService(variable: self.redisURLVariable, problem: "is not a redis:// URL")
        }
        return url
    }

    private static func value(of variable: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw MissingService(variable: variable, problem: "is not set")
        }
        return value
    }
}
