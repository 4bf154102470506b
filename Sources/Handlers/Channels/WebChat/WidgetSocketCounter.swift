internal import Synchronization

/// The widget sockets open on this server per client address, so one address cannot hold more
/// than ``WidgetLimits/socketsPerAddress``.
final class WidgetSocketCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts a socket of `address` when it has fewer than `limit` open; `false` otherwise.
    func open(_ address: String, limit: Int) -> Bool {
        self.counts.withLock { counts in
            let current = counts[address, default: 0]
            guard current < limit else { return false }
            counts[address] = current + 1
            return true
        }
    }

    /// Whether `address` may open another socket (without counting one).
    func hasRoom(_ address: String, limit: Int) -> Bool {
        self.counts.withLock { $0[address, default: 0] < limit }
    }

    /// Forgets a socket counted by ``open(_:limit:)``.
    func close(_ address: String) {
        self.counts.withLock { counts in
            let remaining = counts[address, default: 1] - 1
            counts[address] = remaining > 0 ? remaining : nil
        }
    }
}
