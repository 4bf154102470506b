package import FoundationEssentials
internal import Storage

/// Webhook signing secrets sealed by the ``SecretsEnvelope``: each value bound to its endpoint and
/// column (``SecretColumn/registered`` lists both columns).
package struct EnvelopeWebhookSecrets: WebhookSecretSealing {
    /// The columns holding webhook secrets, as the envelope's tooling walks them.
    static let columns = [
        SecretColumn(table: "webhook_endpoints", column: "signing_secret", lastFourColumn: "signing_secret_last_four"),
        SecretColumn(table: "webhook_endpoints", column: "previous_signing_secret"),
    ]

    /// The envelope.
    package let envelope: SecretsEnvelope

    /// Creates the sealing.
    ///
    /// - Parameter envelope: The server's envelope (`SECRETS_ENCRYPTION_KEY`).
    package init(envelope: SecretsEnvelope) {
        self.envelope = envelope
    }

    package func seal(_ secret: String, endpointID: UUID, column: String) throws -> String {
        try self.envelope.seal(secret, context: Self.context(endpointID, column))
    }

    package func open(_ stored: String, endpointID: UUID, column: String) throws -> String {
        try self.envelope.open(stored, context: Self.context(endpointID, column))
    }

    private static func context(_ endpointID: UUID, _ column: String) -> SecretContext {
        SecretContext(table: "webhook_endpoints", column: column, rowID: endpointID.lowercasedString)
    }
}
