/// Holds a context value that is not a class instance, so ``ContextValues`` and
/// ``ConnectionValues`` can store every value as an object reference; class instances are
/// stored as themselves.
///
/// Whether a type is boxed depends on the type alone, and a key always stores values of one
/// type, so a stored object is read back with an unchecked conversion instead of a dynamic cast.
@usableFromInline
final class ContextValueBox<Value: Sendable>: Sendable {
    @usableFromInline
    let value: Value

    @inlinable
    init(_ value: Value) {
        self.value = value
    }

    /// Whether values of this type are stored as themselves: class instances (a single
    /// reference); everything else, class-bound existentials included, is boxed.
    @inlinable
    static var storesDirectly: Bool {
        Value.self is AnyObject.Type && MemoryLayout<Value>.size == MemoryLayout<AnyObject>.size
    }

    /// The object that stores `value`.
    @inlinable
    static func wrap(_ value: Value) -> any AnyObject & Sendable {
        if Self.storesDirectly {
            return unsafeBitCast(value, to: (any AnyObject & Sendable).self)
        }
        return ContextValueBox(value)
    }

    /// The value `wrap` stored in `object`.
    @inlinable
    static func unwrap(_ object: any AnyObject & Sendable) -> Value {
        if Self.storesDirectly {
            return unsafeBitCast(object, to: Value.self)
        }
        return unsafeDowncast(object, to: ContextValueBox<Value>.self).value
    }
}
