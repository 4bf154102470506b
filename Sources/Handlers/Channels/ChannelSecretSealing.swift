internal import FoundationEssentials
internal import Storage

/// Channel credentials sealed by the ``SecretsEnvelope``: each value bound to its channel and
/// column, so a value copied to another row or column does not open.
package struct ChannelSecretSealing: Sendable {
    /// The sealed columns of `channels` (``SecretColumn/registered`` lists them).
    static let columns = [
        SecretColumn(table: "channels", column: "access_token", lastFourColumn: "access_token_last_four"),
        SecretColumn(table: "channels", column: "app_secret", lastFourColumn: "app_secret_last_four"),
        SecretColumn(table: "channels", column: "verify_token", lastFourColumn: "verify_token_last_four"),
    ]

    /// One sealed credential of a channel.
    package enum Credential: String, Sendable, CaseIterable {
        /// The Graph API access token (WhatsApp) or page access token (Messenger).
        case accessToken = "access_token"
        /// The Meta app secret that signs callbacks.
        case appSecret = "app_secret"
        /// The token Meta echoes when verifying the callback URL.
        case verifyToken = "verify_token"
    }

    /// The envelope.
    package let envelope: SecretsEnvelope

    /// Creates the sealing.
    ///
    /// - Parameter envelope: The server's envelope (`SECRETS_ENCRYPTION_KEY`).
    package init(envelope: SecretsEnvelope) {
        self.envelope = envelope
    }

    /// The stored form of a credential of `channelID`.
    func seal(_ secret: String, channelID: UUID, _ credential: Credential) throws -> String {
        try self.envelope.seal(secret, context: Self.context(channelID, credential))
    }

    /// A credential's text from its stored form.
    ///
    /// - Throws: When it does not open (wrong key, another row's value, tampering).
    func open(_ stored: String, channelID: UUID, _ credential: Credential) throws -> String {
        try self.envelope.open(stored, context: Self.context(channelID, credential))
    }

    private static func context(_ channelID: UUID, _ credential: Credential) -> SecretContext {
        SecretContext(table: "channels", column: credential.rawValue, rowID: channelID.lowercasedString)
    }
}
