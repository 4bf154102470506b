internal import NIOCore
internal import Synchronization

/// The server's open connections, so shutdown can reach each of them.
final class ConnectionRegistry: Sendable {
    private let channels = Mutex<(open: [ObjectIdentifier: any Channel], accepting: Bool)>(([:], true))

    /// Adds a connection unless `limit` connections are open; it leaves the registry by itself
    /// when it closes.
    ///
    /// - Parameters:
    ///   - channel: The connection.
    ///   - limit: The most connections allowed at once.
    /// - Returns: `false` when the limit is reached (the connection was not added).
    func add(_ channel: any Channel, limit: Int) -> Bool {
        let id = ObjectIdentifier(channel)
        let added = self.channels.withLock { state in
            guard state.accepting, state.open.count < limit else { return false }
            state.open[id] = channel
            return true
        }
        guard added else { return false }
        channel.closeFuture.whenComplete { _ in
            _ = self.channels.withLock { $0.open.removeValue(forKey: id) }
        }
        return true
    }

    /// The connections open now.
    var open: [any Channel] {
        self.channels.withLock { Array($0.open.values) }
    }

    /// Refuses every connection added from now on (a shutdown has begun).
    func stopAccepting() {
        self.channels.withLock { $0.accepting = false }
    }
}
