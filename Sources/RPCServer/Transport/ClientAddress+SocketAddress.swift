internal import NIOCore

extension ClientAddress {
    /// The address of a socket peer (read once per connection); `unknown` for a Unix-domain
    /// socket.
    ///
    /// - Parameter socketAddress: The peer, as NIO reports it.
    init(socketAddress: SocketAddress) {
        self = socketAddress.ipAddress.flatMap { ClientAddress($0) } ?? .unknown
    }
}

extension SocketAddress {
    /// The peer as calls report it: `192.0.2.1:54321`, `[2001:db8::1]:54321`.
    var peerText: String {
        guard let ip = self.ipAddress else { return "unknown" }
        let port = self.port ?? 0
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
