/// Where and how the server listens.
public struct RPCServerConfiguration: Sendable, Hashable {
    /// The address to bind. Default `127.0.0.1`.
    public var host: String
    /// The TCP port to bind; 0 picks a free one. Default 3000.
    public var port: Int
    /// The largest HTTP/1.1 request body accepted, in bytes. Default 5 MiB.
    public var maxRequestBodyBytes: Int

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - host: The address to bind.
    ///   - port: The port to bind.
    ///   - maxRequestBodyBytes: The request body limit.
    public init(host: String, port: Int, maxRequestBodyBytes: Int) {
        self.host = host
        self.port = port
        self.maxRequestBodyBytes = maxRequestBodyBytes
    }

    /// `127.0.0.1:3000`, 5 MiB bodies.
    public static var defaults: RPCServerConfiguration {
        RPCServerConfiguration(host: "127.0.0.1", port: 3000, maxRequestBodyBytes: 5 * 1024 * 1024)
    }
}
