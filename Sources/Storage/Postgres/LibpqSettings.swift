internal import FoundationEssentials

/// What every libpq connection of a pool is opened with, worked out once from the configuration.
struct LibpqSettings: Sendable {
    /// `PQconnectdbParams` keywords; the URI is expanded from `dbname`, last, so that it overrides
    /// the defaults before it.
    var keywords: [String]
    /// The values, one per keyword.
    var values: [String]
    /// SQL run once on each new connection: session settings the decoders rely on, plus the
    /// configured `statement_timeout` and `search_path`.
    var sessionSetupSQL: String
    /// Prepared statements kept per connection.
    var statementCacheCapacity: Int

    init(configuration: PostgresPool.Configuration) {
        let options = configuration.options
        let (url, schema) = PostgresConnectionURL.removingSchemaParameter(configuration.url)
        let (timeoutSeconds, timeoutAttoseconds) = options.connectTimeout.components
        let connectSeconds = max(2, timeoutSeconds + (timeoutAttoseconds > 0 ? 1 : 0))
        let pairs: [(String, String)] = [
            ("fallback_application_name", options.applicationName),
            ("connect_timeout", String(connectSeconds)),
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("dbname", url),
        ]
        self.keywords = pairs.map(\.0)
        self.values = pairs.map(\.1)

        var setup = [
            "SET client_min_messages = warning",
            "SET TimeZone = 'UTC'",
            "SET DateStyle = 'ISO, MDY'",
            "SET IntervalStyle = 'postgres'",
            "SET bytea_output = 'hex'",
        ]
        if let timeout = options.statementTimeout {
            let (seconds, attoseconds) = timeout.components
            let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            setup.append("SET statement_timeout = \(milliseconds)")
        }
        // A `schema=` URL keeps `public` after its schema: extensions (pgvector's type and
        // operators) live there.
        let schemaPath = schema.map { $0 == "public" ? [$0] : [$0, "public"] }
        if let searchPath = options.searchPath ?? schemaPath, !searchPath.isEmpty {
            setup.append("SET search_path TO " + searchPath.map(Self.quoteIdentifier).joined(separator: ", "))
        }
        self.sessionSetupSQL = setup.joined(separator: "; ")
        self.statementCacheCapacity = max(0, options.preparedStatementCacheCapacity)
    }

    /// `name` as a double-quoted SQL identifier.
    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }
}
