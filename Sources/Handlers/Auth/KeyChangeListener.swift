/// Told when an API key was created, rotated, revoked or deleted, so every server instance stops
/// trusting what it cached about that key.
///
/// The security handlers call it after their transaction committed; ``RedisKeyInvalidation``
/// implements it by publishing the key's id to every instance.
public protocol KeyChangeListener: Sendable {
    /// The key `keyID` changed in PostgreSQL.
    ///
    /// - Parameter keyID: The key's id (`api_keys.id`).
    func keyChanged(keyID: String) async
}
