/// A key for a typed value carried in ``ServerContext/values``, such as the authenticated
/// caller an interceptor found.
package protocol ContextKey {
    /// The type of the value.
    associatedtype Value: Sendable
}

/// Typed values interceptors attach to a call for the handler (the authenticated caller, its
/// rate-limit state), keyed by type so modules cannot collide.
///
/// A call carries a handful of values at most: the first is kept inline and the others in a
/// small array searched from the start. Values are held as object references: a class
/// instance as itself, anything else in a box. The key's type fixes the value's
/// type, so reading one back needs no dynamic cast, and setting a class instance (the common
/// case: the authenticated caller) allocates nothing. The accessors are inlinable so each key's
/// storage decision is specialised away where it is used.
package struct ContextValues: Sendable {
    /// One value and its key. A struct, not a tuple: copying an optional tuple goes through
    /// the runtime's generic tuple witnesses, a struct's copy is compiled in.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline
        var key: ObjectIdentifier
        @usableFromInline
        var object: any AnyObject & Sendable

        @inlinable
        init(key: ObjectIdentifier, object: any AnyObject & Sendable) {
            self.key = key
            self.object = object
        }
    }

    @usableFromInline
    var first: Entry?
    @usableFromInline
    var others: [Entry] = []

    /// Creates an empty set of values.
    package init() {}

    /// The value for a key, or `nil` when none was set.
    ///
    /// - Parameter key: The key type.
    @inlinable
    package subscript<Key: ContextKey>(_ key: Key.Type) -> Key.Value? {
        get { self.object(for: ObjectIdentifier(key)).map(ContextValueBox<Key.Value>.unwrap) }
        set { self.setObject(newValue.map(ContextValueBox<Key.Value>.wrap), for: ObjectIdentifier(key)) }
    }

    /// The object stored under a key's identifier.
    @inlinable
    func object(for id: ObjectIdentifier) -> (any AnyObject & Sendable)? {
        if let first = self.first, first.key == id {
            return first.object
        }
        for entry in self.others where entry.key == id {
            return entry.object
        }
        return nil
    }

    /// Stores or (with `nil`) removes the object under a key's identifier.
    @inlinable
    mutating func setObject(_ newObject: (any AnyObject & Sendable)?, for id: ObjectIdentifier) {
        if let first = self.first, first.key == id {
            if let newObject {
                self.first = Entry(key: id, object: newObject)
            } else {
                self.first = self.others.isEmpty ? nil : self.others.removeFirst()
            }
            return
        }
        let index = self.others.firstIndex { $0.key == id }
        switch (index, newObject) {
        case (let index?, let object?): self.others[index].object = object
        case (let index?, nil): self.others.remove(at: index)
        case (nil, let object?):
            if self.first == nil {
                self.first = Entry(key: id, object: object)
            } else {
                self.others.append(Entry(key: id, object: object))
            }
        case (nil, nil): break
        }
    }
}
