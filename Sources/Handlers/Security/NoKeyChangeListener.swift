/// A ``KeyChangeListener`` that does nothing: for tests and for a single process without caches.
public struct NoKeyChangeListener: KeyChangeListener {
    /// Creates the listener.
    public init() {}

    public func keyChanged(keyID: String) async {}
}
