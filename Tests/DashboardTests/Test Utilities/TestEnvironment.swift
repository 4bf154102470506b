import Foundation
import Storage

/// The real PostgreSQL and Redis that `scripts/test.sh` starts, read from the environment; a
/// missing variable fails the test that asked, saying how to run it (never skipped). (HandlersTests
/// has the same helper; test targets cannot share code.)
enum TestEnvironment {
    struct MissingService: Error, CustomStringConvertible {
        var variable: String
        var description: String {
            "\(self.variable) is not set; run the tests with scripts/test.sh, which starts PostgreSQL and Redis"
        }
    }

    /// PostgreSQL's libpq connection URI.
    static func databaseURL() throws -> String {
        try self.value(of: "METACHAT_TEST_DATABASE_URL")
    }

    /// Redis' address.
    static func redisURL() throws -> RedisURL {
        guard let url = RedisURL(try self.value(of: "METACHAT_TEST_REDIS_URL")) else {
            throw MissingService(variable: "METACHAT_TEST_REDIS_URL")
        }
        return url
    }

    private static func value(of variable: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
            throw MissingService(variable: variable)
        }
        return value
    }
}
