/// What a caller waiting for a pooled connection is given.
enum ConnectionPoolGrant<Connection: Sendable>: Sendable {
    /// Use this idle connection.
    case connection(Connection)
    /// Open a new connection; a slot in the pool is reserved for it.
    case open
}
