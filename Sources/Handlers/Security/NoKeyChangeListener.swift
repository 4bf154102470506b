/// A ``KeyChangeListener`` that does nothing: for tests and for a single process without caches.
package struct NoKeyChangeListener: KeyChangeListener {
    /// Creates the listener.
    package init() {}

    package func keyChanged(keyID: String) async {}
}
