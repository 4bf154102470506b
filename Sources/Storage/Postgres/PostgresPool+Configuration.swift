extension PostgresPool {
    /// Where PostgreSQL is and how the pool uses it.
    ///
    /// ```swift
    /// var configuration = PostgresPool.Configuration(url: databaseURL)
    /// configuration.options.maximumConnections = 20
    /// let pool = PostgresPool(configuration: configuration, logger: logger)
    /// ```
    package struct Configuration: Sendable, Hashable {
        /// A libpq connection URI (`postgresql://user:password@host:port/db?sslmode=…`) or
        /// `key=value` connection string. A Prisma-style `schema=NAME` query parameter, which libpq
        /// does not know, is removed and becomes ``Options/searchPath`` unless that is set.
        package var url: String
        /// How the pool behaves.
        package var options: Options

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - url: The connection URI or string.
        ///   - options: Pool behaviour; ``Options/defaults`` unless given.
        package init(url: String, options: Options = .defaults) {
            self.url = url
            self.options = options
        }

        /// Pool behaviour, with the defaults ``defaults`` documents.
        package struct Options: Sendable, Hashable {
            /// The most connections open at once; also the number of threads that run libpq calls.
            package var maximumConnections: Int
            /// How long a caller waits for a connection when all are busy before failing with
            /// ``PostgresError/Code/acquireTimeout``.
            package var acquireTimeout: Duration
            /// How long opening one connection may take (libpq's `connect_timeout`, whole seconds, at
            /// least 2).
            package var connectTimeout: Duration
            /// `statement_timeout` for every statement on the pool's connections (millisecond
            /// precision); `nil` keeps the server's setting. Statements past it fail with SQLSTATE `57014`.
            package var statementTimeout: Duration?
            /// How many prepared statements each connection keeps (oldest dropped first); 0 sends
            /// every statement unprepared.
            package var preparedStatementCacheCapacity: Int
            /// Schemas to set as `search_path`, first one first; `nil` keeps the server's setting.
            package var searchPath: [String]?
            /// `application_name` when the URL sets none, as seen in `pg_stat_activity`.
            package var applicationName: String

            /// 10 connections, 5 s acquire timeout, 5 s connect timeout, 30 s statement timeout,
            /// 128 prepared statements per connection, the server's `search_path`, and
            /// application name `metachat`.
            package static var defaults: Options {
                Options(
                    maximumConnections: 10,
                    acquireTimeout: .seconds(5),
                    connectTimeout: .seconds(5),
                    statementTimeout: .seconds(30),
                    preparedStatementCacheCapacity: 128,
                    searchPath: nil,
                    applicationName: "metachat"
                )
            }
        }
    }
}
