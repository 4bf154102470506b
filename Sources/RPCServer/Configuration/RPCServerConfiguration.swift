/// Where and how the server listens, with every limit explicit.
package struct RPCServerConfiguration: Sendable, Hashable {
    /// The address to bind. Default `127.0.0.1`.
    package var host: String
    /// The TCP port to bind; 0 picks a free one. Default 3000.
    package var port: Int
    /// Event-loop threads serving connections. Default: the CPUs the process may run on
    /// (``ProcessorAffinity/allowedCPUCount``), so a server pinned to one core runs one loop.
    package var eventLoopThreads: Int
    /// The largest HTTP/1.1 (and non-gRPC HTTP/2) request body accepted, in bytes. Default 5 MiB.
    package var maxRequestBodyBytes: Int
    /// Connections open at once; further connections are closed as soon as they are accepted.
    /// Default 10,000.
    package var maxConnections: Int
    /// A connection with no call in flight that sends nothing for this long is closed (HTTP/2
    /// with GOAWAY first); it also bounds how long a client may take to send its first bytes.
    /// Default 5 minutes.
    package var idleTimeout: Duration
    /// How long an HTTP/1.1 client may take to send a complete request head, counted from the
    /// connection's start or the previous response; slower clients are disconnected. Default 30 s.
    package var http1HeaderReadTimeout: Duration
    /// Peers whose `X-Forwarded-For` and `X-Real-IP` name the client of gRPC and gRPC-Web
    /// calls (the REST bridge has the same setting). Default: loopback.
    package var trustedProxies: [IPNetwork]
    /// How long a request's bytes may take to arrive: a plain HTTP body (HTTP/1.1 and HTTP/2)
    /// counted from the request head, a unary gRPC request from its headers, and any gRPC
    /// message from its first byte. A slower request gets 408 (gRPC: `DEADLINE_EXCEEDED`
    /// and RST_STREAM) and its memory and connection or stream slot are freed. Default 60 s.
    package var requestBodyTimeout: Duration
    /// HTTP/2 limits.
    package var http2: HTTP2Limits
    /// gRPC call limits.
    package var rpc: RPCLimits
    /// WebSocket limits and keepalive.
    package var webSocket: WebSocketLimits

    /// Creates a configuration with default HTTP/2, RPC and WebSocket limits.
    ///
    /// - Parameters:
    ///   - host: The address to bind.
    ///   - port: The port to bind.
    ///   - maxRequestBodyBytes: The request body limit.
    package init(host: String, port: Int, maxRequestBodyBytes: Int) {
        self.host = host
        self.port = port
        self.eventLoopThreads = ProcessorAffinity.allowedCPUCount
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.maxConnections = 10_000
        self.idleTimeout = .seconds(300)
        self.http1HeaderReadTimeout = .seconds(30)
        self.trustedProxies = IPNetwork.loopback
        self.requestBodyTimeout = .seconds(60)
        self.http2 = .defaults
        self.rpc = .defaults
        self.webSocket = .defaults
    }

    /// `127.0.0.1:3000`, 5 MiB bodies, 10,000 connections, 5-minute idle timeout, default
    /// HTTP/2, RPC and WebSocket limits.
    package static var defaults: RPCServerConfiguration {
        RPCServerConfiguration(host: "127.0.0.1", port: 3000, maxRequestBodyBytes: 5 * 1024 * 1024)
    }

    /// Limits of each HTTP/2 connection, announced in SETTINGS and enforced by nghttp2.
    package struct HTTP2Limits: Sendable, Hashable {
        /// Streams a client may have open at once. Default 256.
        package var maxConcurrentStreams: UInt32
        /// The initial flow-control window of each stream, in bytes. Default 1 MiB.
        package var initialStreamWindowBytes: UInt32
        /// The connection's flow-control window, in bytes. Default 8 MiB.
        package var connectionWindowBytes: Int
        /// Request bytes all streams of a connection may hold in memory (bodies, messages not
        /// yet taken) before flow-control window is returned only to the oldest stream still
        /// receiving; with ``connectionWindowBytes`` and one body it bounds what one connection
        /// can pin, however many streams it opens. Default 16 MiB.
        package var maxBufferedRequestBytes: Int
        /// The largest header list accepted, in bytes (uncompressed). Default 16 KiB.
        package var maxHeaderListBytes: UInt32
        /// SETTINGS entries accepted in one frame. Default 32.
        package var maxSettingsEntries: Int
        /// RST_STREAMs a client may provoke in a burst before GOAWAY. Default 1000.
        package var streamResetBurst: UInt64
        /// RST_STREAMs per second refilled after the burst. Default 33.
        package var streamResetRatePerSecond: UInt64
        /// CONTINUATION frames accepted per header block. Default 8.
        package var maxContinuations: Int
        /// Queued outbound SETTINGS/PING ACKs before the connection is dropped. Default 1000.
        package var maxOutboundAcks: Int
        /// PINGs a client may send per ``pingWindow`` before the server answers GOAWAY
        /// ENHANCE_YOUR_CALM and closes (keepalive pings are far rarer). Default 100.
        package var maxPingsPerWindow: Int
        /// The window ``maxPingsPerWindow`` counts over. Default 10 seconds.
        package var pingWindow: Duration

        /// The defaults listed on each property.
        package static var defaults: HTTP2Limits {
            HTTP2Limits(
                maxConcurrentStreams: 256,
                initialStreamWindowBytes: 1024 * 1024,
                connectionWindowBytes: 8 * 1024 * 1024,
                maxBufferedRequestBytes: 16 * 1024 * 1024,
                maxHeaderListBytes: 16 * 1024,
                maxSettingsEntries: 32,
                streamResetBurst: 1000,
                streamResetRatePerSecond: 33,
                maxContinuations: 8,
                maxOutboundAcks: 1000,
                maxPingsPerWindow: 100,
                pingWindow: .seconds(10)
            )
        }
    }

    /// Limits of each gRPC call.
    package struct RPCLimits: Sendable, Hashable {
        /// The largest request message accepted, in bytes (after decompression). Default 4 MiB.
        package var maxReceiveMessageBytes: Int
        /// Response bytes queued per stream before the handler's writer waits. Default 32 KiB:
        /// enough to keep the socket busy between event-loop ticks, and 8 MiB at most for a
        /// connection of 256 streams whose client stopped reading.
        package var maxBufferedResponseBytes: Int
        /// Request bytes queued per stream, taken by no handler yet, before flow-control window
        /// stops being returned to the client. Default 1 MiB.
        package var maxBufferedRequestBytes: Int
        /// The smallest response message gzip-compressed when the client accepts gzip; smaller
        /// ones are sent uncompressed (the per-message flag allows both). Default 1 KiB.
        package var minCompressedResponseBytes: Int

        /// The defaults listed on each property.
        package static var defaults: RPCLimits {
            RPCLimits(
                maxReceiveMessageBytes: 4 * 1024 * 1024,
                maxBufferedResponseBytes: 32 * 1024,
                maxBufferedRequestBytes: 1024 * 1024,
                minCompressedResponseBytes: 1024
            )
        }
    }
}
