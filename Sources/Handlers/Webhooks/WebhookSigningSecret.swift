internal import FoundationEssentials
internal import Storage

/// A Standard Webhooks signing secret: `whsec_` followed by the base64 of the key bytes that
/// sign (HMAC-SHA256) every delivery.
package struct WebhookSigningSecret: Sendable, Hashable {
    /// The prefix every secret's text starts with.
    package static let prefix = "whsec_"

    /// The secret as shown once to the tenant, e.g. `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`.
    package let text: String
    /// The HMAC key: the base64-decoded part after the prefix.
    package let key: [UInt8]

    /// A new random secret of 32 bytes.
    package static func generate() -> WebhookSigningSecret {
        let key = Secrets.randomBytes(32)
        return WebhookSigningSecret(text: Self.prefix + Data(key).base64EncodedString(), key: key)
    }

    private init(text: String, key: [UInt8]) {
        self.text = text
        self.key = key
    }

    /// Reads a secret's text; `nil` unless it is `whsec_` and base64 of 24 to 64 bytes.
    ///
    /// - Parameter text: The secret's text.
    package init?(text: String) {
        guard text.hasPrefix(Self.prefix), text.utf8.count <= 200,
            let key = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
            (24...64).contains(key.count)
        else { return nil }
        self.text = text
        self.key = Array(key)
    }

    /// The last four characters, shown instead of the secret.
    package var lastFour: String { String(self.text.suffix(4)) }
}
