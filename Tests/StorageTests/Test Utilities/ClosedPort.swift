import NIOCore
import NIOPosix
import Testing

/// A TCP port on 127.0.0.1 that nothing listens on, so connecting to it is refused at once.
enum ClosedPort {
    /// Lets the kernel pick a free port by binding a listener to port 0, then closes the listener.
    ///
    /// - Returns: The port, refused until some other process happens to bind it.
    static func make() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = channel.localAddress?.port
        try await channel.close()
        return try #require(port, "the listener bound to 127.0.0.1:0 reported no port")
    }
}
