internal import Synchronization

/// Typed values that live as long as one client connection, for interceptors that can reuse
/// work across the calls of a connection (the authentication interceptor remembers the
/// credential it last verified there).
///
/// Every call on an HTTP/2 connection sees the same instance in ``ServerContext/connection``;
/// calls that arrive otherwise (gRPC-Web, the REST bridge, in-process) have none. A
/// value is only ever seen by calls of the connection that stored it, and goes away with it.
package final class ConnectionValues: Sendable {
    private let values = Mutex(ContextValues())

    /// Creates an empty set, for a new connection.
    package init() {}

    /// The value for a key, or `nil` when none was stored on this connection.
    ///
    /// - Parameter key: The key type.
    @inlinable
    package subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        // Inlined, so the storage decision is specialised for the caller's key; the lock is not generic.
        get { self.object(for: ObjectIdentifier(key)).map(ContextValueBox<Key.Value>.unwrap) }
        set { self.setObject(newValue.map(ContextValueBox<Key.Value>.wrap), for: ObjectIdentifier(key)) }
    }

    @usableFromInline
    func object(for key: ObjectIdentifier) -> (any AnyObject & Sendable)? {
        self.values.withLock { $0.object(for: key) }
    }

    @usableFromInline
    func setObject(_ object: (any AnyObject & Sendable)?, for key: ObjectIdentifier) {
        self.values.withLock { $0.setObject(object, for: key) }
    }
}
