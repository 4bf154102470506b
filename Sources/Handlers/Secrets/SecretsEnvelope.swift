internal import FoundationEssentials
internal import Storage

/// Encrypts secrets at rest (tenants' provider keys, channel tokens, webhook secrets) with
/// AES-256-GCM under `SECRETS_ENCRYPTION_KEY`.
///
/// A sealed value is text, `mcs1:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>`, with a fresh
/// random nonce each time and the value's ``SecretContext`` as additional data. Values sealed under
/// one of `SECRETS_ENCRYPTION_OLD_KEYS` still open; `metachat secrets rewrap` seals them again
/// under the current key, after which the old key can be dropped.
package struct SecretsEnvelope: Sendable {
    /// The prefix of every sealed value.
    package static let prefix = "mcs1:"

    /// The key new values are sealed under; `nil` when none is configured.
    package let current: SecretsEncryptionKey?
    private let keysByID: [String: SecretsEncryptionKey]

    /// An envelope.
    ///
    /// - Parameters:
    ///   - current: The key to seal with (`SECRETS_ENCRYPTION_KEY`); `nil` seals nothing.
    ///   - old: Keys that only open (`SECRETS_ENCRYPTION_OLD_KEYS`).
    package init(current: SecretsEncryptionKey?, old: [SecretsEncryptionKey] = []) {
        self.current = current
        var keys: [String: SecretsEncryptionKey] = [:]
        for key in old { keys[key.id] = key }
        if let current { keys[current.id] = current }
        self.keysByID = keys
    }

    /// Whether a stored value is sealed (rather than plaintext left from before the envelope).
    ///
    /// - Parameter stored: A stored value.
    package static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(Self.prefix) }

    /// The key id a sealed value names, or `nil` for a value that is not sealed.
    ///
    /// - Parameter stored: A stored value.
    package static func keyID(of stored: String) -> String? {
        guard Self.isSealed(stored) else { return nil }
        let parts = stored.dropFirst(Self.prefix.count).split(separator: ":", maxSplits: 1)
        return parts.count == 2 ? String(parts[0]) : nil
    }

    /// Seals a secret.
    ///
    /// - Parameters:
    ///   - plaintext: The secret.
    ///   - context: Where it will be stored.
    /// - Returns: The text to store.
    /// - Throws: ``SecretsEnvelopeError/noKey`` without a current key.
    package func seal(_ plaintext: String, context: SecretContext) throws(SecretsEnvelopeError) -> String {
        guard let key = self.current else { throw .noKey }
        let nonce = Secrets.randomBytes(AES256GCM.nonceByteCount)
        let sealed = AES256GCM.seal(
            Array(plaintext.utf8), key: key.bytes, nonce: nonce, additionalData: context.additionalData)
        return Self.prefix + key.id + ":" + Data(nonce + sealed).base64EncodedString()
    }

    /// Opens a sealed secret.
    ///
    /// - Parameters:
    ///   - stored: What ``seal(_:context:)`` returned.
    ///   - context: Where it is stored (the same as when sealed).
    /// - Returns: The secret.
    /// - Throws: ``SecretsEnvelopeError`` when the value is malformed, its key is unknown, or it
    ///   does not open.
    package func open(_ stored: String, context: SecretContext) throws(SecretsEnvelopeError) -> String {
        guard Self.isSealed(stored) else { throw .malformed }
        let parts = stored.dropFirst(Self.prefix.count).split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let data = Data(base64Encoded: String(parts[1])),
            data.count >= AES256GCM.nonceByteCount + AES256GCM.tagByteCount
        else { throw .malformed }
        guard let key = self.keysByID[String(parts[0])] else { throw .unknownKey(id: String(parts[0])) }
        let bytes = Array(data)
        guard
            let plaintext = AES256GCM.open(
                Array(bytes[AES256GCM.nonceByteCount...]), key: key.bytes,
                nonce: Array(bytes[..<AES256GCM.nonceByteCount]), additionalData: context.additionalData),
            let text = String(validating: plaintext, as: UTF8.self)
        else { throw .undecryptable }
        return text
    }

    /// The last four characters responses show for a secret.
    ///
    /// - Parameter secret: The plaintext secret.
    package static func lastFour(of secret: String) -> String {
        String(secret.unicodeScalars.suffix(4).map(Character.init))
    }
}
