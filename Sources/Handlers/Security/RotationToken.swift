internal import Storage

/// A one-time token that confirms a key rotation: `rot_` and 64 hex digits (256 random bits).
///
/// Only its HMAC-SHA256 under the pepper is stored, like an API key's; the plaintext is shown once,
/// by the start step.
struct RotationToken: Sendable {
    /// The type tag every rotation token starts with.
    static let tag = "rot_"

    /// The plaintext token.
    let plaintext: String

    /// A new random token.
    init() {
        self.plaintext = Self.tag + Hex.encode(Secrets.randomBytes(32))
    }

    /// A token a client sent back; it is not checked here, only hashed and compared.
    init(presented plaintext: String) {
        self.plaintext = plaintext
    }

    /// The stored hash: HMAC-SHA256 under the pepper.
    func hash(pepper: [UInt8]) -> [UInt8] {
        Secrets.hmacSHA256(Array(self.plaintext.utf8), key: pepper)
    }
}
