/// Why the secrets envelope could not seal or open a value.
package enum SecretsEnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `SECRETS_ENCRYPTION_KEY` is configured, so nothing can be sealed.
    case noKey
    /// The value was sealed under a key id that is neither the current key nor an old one.
    case unknownKey(id: String)
    /// The value is not in the envelope's format.
    case malformed
    /// The key, the context or the bytes do not match: tampered, or moved to another row or column.
    case undecryptable

    package var description: String {
        switch self {
        case .noKey:
            "SECRETS_ENCRYPTION_KEY is not set, so secrets cannot be stored (`openssl rand -hex 32`)"
        case .unknownKey(let id):
            "the secret was sealed under key \(id), which is neither SECRETS_ENCRYPTION_KEY nor in"
                + " SECRETS_ENCRYPTION_OLD_KEYS"
        case .malformed:
            "the stored secret is not in the envelope's format"
        case .undecryptable:
            "the stored secret does not open with its key (tampered, or moved to another row)"
        }
    }
}
