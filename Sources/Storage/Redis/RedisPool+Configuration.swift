extension RedisPool {
    /// Where Redis is and how the pool uses it.
    package struct Configuration: Sendable, Hashable {
        /// Where Redis listens.
        package var url: RedisURL
        /// How the pool behaves.
        package var options: Options

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - url: Where Redis listens.
        ///   - options: Pool behaviour; ``Options/defaults`` unless given.
        package init(url: RedisURL, options: Options = .defaults) {
            self.url = url
            self.options = options
        }

        /// Pool behaviour, with the defaults ``defaults`` documents.
        package struct Options: Sendable, Hashable {
            /// The most connections open at once; also the number of threads that run hiredis calls.
            package var maximumConnections: Int
            /// How long a caller waits for a connection when all are busy.
            package var acquireTimeout: Duration
            /// How long opening one connection may take.
            package var connectTimeout: Duration
            /// How long one command may wait for its reply; the connection is replaced afterwards.
            package var commandTimeout: Duration

            /// 4 connections, 5 s acquire timeout, 2 s connect timeout, 5 s command timeout.
            package static var defaults: Options {
                Options(
                    maximumConnections: 4,
                    acquireTimeout: .seconds(5),
                    connectTimeout: .seconds(2),
                    commandTimeout: .seconds(5)
                )
            }
        }
    }
}
