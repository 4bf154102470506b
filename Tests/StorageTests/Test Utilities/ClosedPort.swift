import Foundation
import Synchronization
import Testing

/// A TCP port on 127.0.0.1 that nothing listens on, so connecting to it is refused at once.
///
/// The port stays bound, without listening, by a socket kept open for the rest of the test run,
/// so that the kernel neither offers it to another `bind(0)` nor uses it as the local port of an
/// outgoing connection. Both would make it answer (or refuse a server) unexpectedly. The socket
/// has `SO_REUSEADDR`, as PostgreSQL's and Redis' listeners do, so a test may start a server of
/// its own on the port.
enum ClosedPort {
    /// The sockets holding the ports handed out.
    private static let holders = Mutex<[Int32]>([])

    /// Binds a socket to a port the kernel picks on 127.0.0.1 and keeps it.
    ///
    /// - Returns: The port.
    static func make() async throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(socket >= 0, "socket() failed with errno \(errno)")
        var yes: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(socket)
            throw ClosedPortError(errno: errno)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard named == 0 else {
            close(socket)
            throw ClosedPortError(errno: errno)
        }
        Self.holders.withLock { $0.append(socket) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `bind` or `getsockname` failed.
    struct ClosedPortError: Error {
        var errno: Int32
    }
}
