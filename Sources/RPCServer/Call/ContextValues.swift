/// A key for a typed value carried in ``ServerContext/values``, such as the authenticated
/// caller an interceptor found.
public protocol ContextKey {
    /// The type of the value.
    associatedtype Value: Sendable
}

/// Typed values interceptors attach to a call for the handler (the authenticated caller, its
/// rate-limit state), keyed by type so modules cannot collide.
///
/// A call carries a handful of values at most: the first is kept inline and the others in a
/// small array searched from the start, so a call with one value allocates nothing for it
/// (when the value is a class instance or fits an existential's inline buffer). The accessors
/// are inlinable so each key's cast is specialised where it is used.
public struct ContextValues: Sendable {
    /// One value and its key. A struct, not a tuple: copying an optional tuple goes through
    /// the runtime's generic tuple witnesses, a struct's copy is compiled in.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline
        var key: ObjectIdentifier
        @usableFromInline
        var value: any Sendable

        @inlinable
        init(key: ObjectIdentifier, value: any Sendable) {
            self.key = key
            self.value = value
        }
    }

    @usableFromInline
    var first: Entry?
    @usableFromInline
    var others: [Entry] = []

    /// Creates an empty set of values.
    public init() {}

    /// The value for a key, or `nil` when none was set.
    ///
    /// - Parameter key: The key type.
    @inlinable
    public subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        get { self.value(for: ObjectIdentifier(key)) as? Key.Value }
        set { self.setValue(newValue, for: ObjectIdentifier(key)) }
    }

    /// The value stored under a key's identifier.
    @inlinable
    func value(for id: ObjectIdentifier) -> (any Sendable)? {
        if let first = self.first, first.key == id {
            return first.value
        }
        for entry in self.others where entry.key == id {
            return entry.value
        }
        return nil
    }

    /// Stores or (with `nil`) removes the value under a key's identifier.
    @inlinable
    mutating func setValue(_ newValue: (any Sendable)?, for id: ObjectIdentifier) {
        if let first = self.first, first.key == id {
            if let newValue {
                self.first = Entry(key: id, value: newValue)
            } else {
                self.first = self.others.isEmpty ? nil : self.others.removeFirst()
            }
            return
        }
        let index = self.others.firstIndex { $0.key == id }
        switch (index, newValue) {
        case (let index?, let value?): self.others[index].value = value
        case (let index?, nil): self.others.remove(at: index)
        case (nil, let value?):
            if self.first == nil {
                self.first = Entry(key: id, value: value)
            } else {
                self.others.append(Entry(key: id, value: value))
            }
        case (nil, nil): break
        }
    }
}
