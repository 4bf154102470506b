/// Hears about every change to an API key (creation, revocation, rotation) after it committed.
///
/// The server's implementation publishes the key id over Redis so every instance drops what its
/// authentication cache holds for that key; the old secret then stops working everywhere.
package protocol KeyChangeListener: Sendable {
    /// Called once after the change to `keyID` committed.
    ///
    /// - Parameter keyID: The changed key's id (lowercase UUID).
    func keyChanged(keyID: String) async
}
