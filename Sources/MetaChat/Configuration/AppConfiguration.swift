internal import RPCServer
internal import Storage

/// Everything `metachat` reads from its environment, validated in one place.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `HOST` | `127.0.0.1` | address to listen on |
/// | `PORT` | `3000` | port to listen on (1–65535) |
/// | `DATABASE_URL` | none (required by `serve`) | libpq URI of PostgreSQL |
/// | `REDIS_URL` | `redis://127.0.0.1:6379/0` | Redis URL |
/// | `LOG_LEVEL` | `info` | trace, debug, info, notice, warning, error, critical |
struct AppConfiguration: Sendable {
    /// The listener settings.
    var server: RPCServerConfiguration
    /// The PostgreSQL URI, if set.
    var databaseURL: String?
    /// Where Redis listens.
    var redisURL: RedisURL
    /// The log level name.
    var logLevel: String

    /// Reads and validates the environment.
    ///
    /// - Parameter environment: The process environment.
    /// - Throws: ``ConfigurationError`` naming the variable at fault.
    init(environment: [String: String]) throws {
        var server = RPCServerConfiguration.defaults
        if let host = environment["HOST"], !host.isEmpty {
            server.host = host
        }
        if let portText = environment["PORT"], !portText.isEmpty {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw ConfigurationError(
                    variable: "PORT", problem: "must be a number from 1 to 65535, not '\(portText)'")
            }
            server.port = port
        }
        self.server = server
        self.databaseURL = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let databaseURL = self.databaseURL,
            !(databaseURL.hasPrefix("postgresql://") || databaseURL.hasPrefix("postgres://"))
        {
            throw ConfigurationError(variable: "DATABASE_URL", problem: "must start with postgresql://")
        }
        let redisText = environment["REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "redis://127.0.0.1:6379/0"
        guard let redisURL = RedisURL(redisText) else {
            throw ConfigurationError(variable: "REDIS_URL", problem: "must look like redis://host:port/db")
        }
        self.redisURL = redisURL
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        let level = environment["LOG_LEVEL"]?.lowercased() ?? "info"
        guard levels.contains(level) else {
            throw ConfigurationError(variable: "LOG_LEVEL", problem: "must be one of \(levels.joined(separator: ", "))")
        }
        self.logLevel = level
    }
}

/// A configuration variable has a value the server cannot use.
struct ConfigurationError: Error, CustomStringConvertible {
    /// The environment variable's name.
    var variable: String
    /// What is wrong with its value.
    var problem: String

    var description: String { "\(self.variable) \(self.problem)" }
}
