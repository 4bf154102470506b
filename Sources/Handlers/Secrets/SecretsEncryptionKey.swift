internal import FoundationEssentials
internal import Storage

/// One AES-256 key of the secrets envelope (`SECRETS_ENCRYPTION_KEY`, or one of
/// `SECRETS_ENCRYPTION_OLD_KEYS`), with the id stored beside everything sealed under it.
///
/// The id is the first 8 hex digits of the key's SHA-256, so an operator never has to name keys
/// and the same key always has the same id.
package struct SecretsEncryptionKey: Sendable {
    /// The key id written into each sealed value.
    package let id: String
    /// The 32 key bytes.
    let bytes: [UInt8]

    /// Why a configured key text was refused; never contains the text.
    package struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        package var description: String
    }

    /// Reads a key from its configured text: 64 hex digits (`openssl rand -hex 32`) or the base64
    /// of 32 bytes (`openssl rand -base64 32`).
    ///
    /// - Parameter text: The configured text.
    /// - Throws: ``Invalid`` when the text does not spell exactly 32 bytes.
    package init(text: String) throws {
        let trimmed = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if let decoded = Hex.decode(trimmed), decoded.count == AES256GCM.keyByteCount {
            self.init(bytes: decoded)
        } else if trimmed.utf8.count == 44, let data = Data(base64Encoded: trimmed),
            data.count == AES256GCM.keyByteCount
        {
            self.init(bytes: Array(data))
        } else {
            throw Invalid(
                description: "must be 32 bytes as 64 hex digits (`openssl rand -hex 32`) or base64"
                    + " (`openssl rand -base64 32`)")
        }
    }

    /// A key from its bytes.
    ///
    /// - Parameter bytes: Exactly 32 bytes.
    package init(bytes: [UInt8]) {
        precondition(bytes.count == AES256GCM.keyByteCount, "an AES-256 key has 32 bytes")
        self.bytes = bytes
        self.id = String(Digest.hex(Digest.sha256(bytes)).prefix(8))
    }
}
