package import RPCServer

/// The REST bridge's settings, with the defaults a small deployment behind nginx wants.
package struct RESTConfiguration: Sendable {
    /// The largest JSON request body (413 above it). Raw routes may set their own.
    package var maxBodyBytes: Int
    /// Browser origins allowed to call (`API_CORS_ORIGINS`).
    package var cors: CORSPolicy
    /// Peers whose `X-Forwarded-For`, `X-Real-IP` and `X-Forwarded-Proto` are believed.
    package var trustedProxies: [IPNetwork]
    /// How often an idle Server-Sent Events stream sends a comment so proxies keep it open.
    package var heartbeatInterval: Duration
    /// How long a stream may stay silent before its 200 headers go out; an error the handler
    /// throws sooner is answered with its own status instead.
    package var streamHeadersDelay: Duration
    /// Responses smaller than this are not gzip-compressed.
    package var compressionMinimumBytes: Int
    /// How many bytes of a stream may wait for a slow client before the handler's writes wait.
    package var streamBufferBytes: Int

    /// Creates settings.
    ///
    /// - Parameters:
    ///   - maxBodyBytes: The JSON body limit.
    ///   - cors: The CORS policy.
    ///   - trustedProxies: The trusted proxies.
    ///   - heartbeatInterval: The SSE heartbeat interval.
    ///   - streamHeadersDelay: The longest wait before a stream's headers.
    ///   - compressionMinimumBytes: The gzip threshold.
    ///   - streamBufferBytes: The stream buffer per client.
    package init(
        maxBodyBytes: Int = 5 * 1024 * 1024,
        cors: CORSPolicy = CORSPolicy(allowedOrigins: []),
        trustedProxies: [IPNetwork] = IPNetwork.loopback,
        heartbeatInterval: Duration = .seconds(15),
        streamHeadersDelay: Duration = .milliseconds(250),
        compressionMinimumBytes: Int = 1024,
        streamBufferBytes: Int = 256 * 1024
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.cors = cors
        self.trustedProxies = trustedProxies
        self.heartbeatInterval = heartbeatInterval
        self.streamHeadersDelay = streamHeadersDelay
        self.compressionMinimumBytes = compressionMinimumBytes
        self.streamBufferBytes = streamBufferBytes
    }
}
