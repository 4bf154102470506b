/// A key for a typed value carried in ``ServerContext/values``, such as the authenticated
/// caller an interceptor found.
public protocol ContextKey {
    /// The type of the value.
    associatedtype Value: Sendable
}

/// Typed values interceptors attach to a call for the handler (the authenticated caller, its
/// rate-limit state), keyed by type so modules cannot collide.
///
/// A call carries a handful of values at most, so they are kept in a small array searched from
/// the start rather than a dictionary; the accessors are inlinable so each key's cast is
/// specialised where it is used.
public struct ContextValues: Sendable {
    @usableFromInline
    var storage: [(key: ObjectIdentifier, value: any Sendable)] = []

    /// Creates an empty set of values.
    public init() {}

    /// The value for a key, or `nil` when none was set.
    ///
    /// - Parameter key: The key type.
    @inlinable
    public subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        get {
            let id = ObjectIdentifier(key)
            for entry in self.storage where entry.key == id {
                return entry.value as? Key.Value
            }
            return nil
        }
        set {
            let id = ObjectIdentifier(key)
            let index = self.storage.firstIndex { $0.key == id }
            switch (index, newValue) {
            case (let index?, let value?): self.storage[index].value = value
            case (let index?, nil): self.storage.remove(at: index)
            case (nil, let value?): self.storage.append((key: id, value: value))
            case (nil, nil): break
            }
        }
    }
}
