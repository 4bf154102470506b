internal import Synchronization

/// Typed values that live as long as one client connection, for interceptors that can reuse
/// work across the calls of a connection (the authentication interceptor remembers the
/// credential it last verified there).
///
/// Every call on an HTTP/2 connection sees the same instance in ``ServerContext/connection``;
/// calls that arrive otherwise (gRPC-Web, the REST bridge, in-process) have none. A
/// value is only ever seen by calls of the connection that stored it, and goes away with it.
public final class ConnectionValues: Sendable {
    private let values = Mutex(ContextValues())

    /// Creates an empty set, for a new connection.
    public init() {}

    /// The value for a key, or `nil` when none was stored on this connection.
    ///
    /// - Parameter key: The key type.
    @inlinable
    public subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        // Inlined, so the cast is specialised for the caller's key; the lock is not generic.
        get { self.value(for: ObjectIdentifier(key)) as? Key.Value }
        set { self.setValue(newValue, for: ObjectIdentifier(key)) }
    }

    @usableFromInline
    func value(for key: ObjectIdentifier) -> (any Sendable)? {
        self.values.withLock { $0.value(for: key) }
    }

    @usableFromInline
    func setValue(_ value: (any Sendable)?, for key: ObjectIdentifier) {
        self.values.withLock { $0.setValue(value, for: key) }
    }
}
