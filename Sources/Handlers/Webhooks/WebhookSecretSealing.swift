package import FoundationEssentials

/// Seals webhook signing secrets for storage and opens them to sign: the secrets envelope in
/// `serve`. The endpoint and the column are bound into the sealed text, so a value copied to
/// another row or column does not open.
package protocol WebhookSecretSealing: Sendable {
    /// The stored form of `secret`.
    ///
    /// - Parameters:
    ///   - secret: The secret's text (`whsec_…`).
    ///   - endpointID: The endpoint it belongs to.
    ///   - column: `signing_secret` or `previous_signing_secret`.
    func seal(_ secret: String, endpointID: UUID, column: String) throws -> String

    /// The secret's text from its stored form.
    ///
    /// - Throws: When it does not open (wrong key, another row's value, tampering).
    func open(_ stored: String, endpointID: UUID, column: String) throws -> String
}
