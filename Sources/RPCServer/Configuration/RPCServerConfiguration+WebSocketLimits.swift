extension RPCServerConfiguration {
    /// Limits and keepalive of each WebSocket connection.
    package struct WebSocketLimits: Sendable, Hashable {
        /// The largest frame accepted, in bytes; a larger frame fails the connection with 1009
        /// (message too big) as soon as its header arrives. Default 1 MiB.
        package var maxFrameBytes: Int
        /// The largest message accepted after joining its fragments, in bytes; a larger one fails
        /// the connection with 1009. Received messages the handler has not taken yet are held up
        /// to this many bytes, then the server stops reading from the socket. Default 1 MiB.
        package var maxMessageBytes: Int
        /// How often the server pings an open connection; `nil` sends no pings. Pings also keep
        /// proxies (nginx closes an upstream that is silent for 60 s by default) from dropping
        /// quiet sessions. Default 30 seconds.
        package var pingInterval: Duration?
        /// How long the client has to answer a ping with a pong before the server closes with
        /// 1011 (internal error) and drops the connection. Default 10 seconds.
        package var pongTimeout: Duration
        /// How long the server waits for the client's close frame after sending its own (or, after
        /// a failure, for the client to hang up) before it drops the connection. Default 5 seconds.
        package var closeTimeout: Duration

        /// The defaults listed on each property.
        package static var defaults: WebSocketLimits {
            WebSocketLimits(
                maxFrameBytes: 1024 * 1024,
                maxMessageBytes: 1024 * 1024,
                pingInterval: .seconds(30),
                pongTimeout: .seconds(10),
                closeTimeout: .seconds(5)
            )
        }
    }
}
