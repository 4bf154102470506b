/// The names of the statements one connection has prepared, keyed by SQL text and parameter types,
/// dropping the oldest once full.
struct PreparedStatementCache {
    /// What identifies a prepared statement: its text and the OIDs its parameters were prepared with.
    struct Key: Hashable {
        var sql: String
        var parameterTypes: [UInt32]
    }

    private let capacity: Int
    private var names: [Key: String] = [:]
    private var order: [Key] = []
    private var counter = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The name a statement was prepared under, if it was.
    func name(for key: Key) -> String? {
        self.names[key]
    }

    /// A statement name not used before on this connection.
    mutating func makeName() -> String {
        self.counter += 1
        return "metachat_\(self.counter)"
    }

    /// Makes room for one more entry.
    ///
    /// - Returns: The name of the statement dropped, which should be deallocated on the server.
    mutating func evictIfFull() -> String? {
        guard self.names.count >= self.capacity, !self.order.isEmpty else { return nil }
        let oldest = self.order.removeFirst()
        return self.names.removeValue(forKey: oldest)
    }

    /// Records a statement prepared on the server.
    mutating func insert(_ name: String, for key: Key) {
        self.names[key] = name
        self.order.append(key)
    }

    /// Forgets everything (the connection was replaced).
    mutating func removeAll() {
        self.names = [:]
        self.order = []
    }
}
