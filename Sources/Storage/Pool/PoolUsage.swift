/// A snapshot of a connection pool's use, as `/metrics` publishes it.
package struct PoolUsage: Sendable, Hashable {
    /// Connections open or being opened.
    package var open: Int
    /// Connections lent to callers (including ones being opened for them).
    package var inUse: Int
    /// Callers queued for a connection.
    package var waiting: Int
    /// The most connections the pool opens.
    package var maximum: Int

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - open: Connections open or being opened.
    ///   - inUse: Connections lent to callers.
    ///   - waiting: Callers queued for a connection.
    ///   - maximum: The pool's size limit.
    package init(open: Int, inUse: Int, waiting: Int, maximum: Int) {
        self.open = open
        self.inUse = inUse
        self.waiting = waiting
        self.maximum = maximum
    }

    /// The four gauges in the Prometheus text format, named `<prefix>_connections_open`,
    /// `<prefix>_connections_in_use`, `<prefix>_connections_max` and `<prefix>_waiting_callers`.
    ///
    /// - Parameter prefix: The metric name prefix, e.g. `metachat_postgres_pool`.
    package func prometheusText(prefix: String) -> String {
        var text = ""
        for (name, value) in [
            ("connections_open", self.open), ("connections_in_use", self.inUse),
            ("connections_max", self.maximum), ("waiting_callers", self.waiting),
        ] {
            text += "# TYPE \(prefix)_\(name) gauge\n\(prefix)_\(name) \(value)\n"
        }
        return text
    }
}
