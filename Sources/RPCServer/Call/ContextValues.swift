/// A key for a typed value carried in ``ServerContext/values``, such as the authenticated
/// caller an interceptor found.
public protocol ContextKey {
    /// The type of the value.
    associatedtype Value: Sendable
}

/// Typed values interceptors attach to a call for the handler (the authenticated caller, its
/// rate-limit state), keyed by type so modules cannot collide.
public struct ContextValues: Sendable {
    private var storage: [ObjectIdentifier: any Sendable] = [:]

    /// Creates an empty set of values.
    public init() {}

    /// The value for a key, or `nil` when none was set.
    ///
    /// - Parameter key: The key type.
    public subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        get { self.storage[ObjectIdentifier(key)] as? Key.Value }
        set { self.storage[ObjectIdentifier(key)] = newValue }
    }
}
