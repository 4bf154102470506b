internal import NIOCore
internal import Synchronization

/// The server's open connections, so shutdown can reach each of them.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// Adds a connection; it leaves the registry by itself when it closes.
    ///
    /// - Parameter channel: The connection.
    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.channels.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            _ = self.channels.withLock { $0.removeValue(forKey: id) }
        }
    }

    /// The connections open now.
    var open: [any Channel] {
        self.channels.withLock { Array($0.values) }
    }
}
