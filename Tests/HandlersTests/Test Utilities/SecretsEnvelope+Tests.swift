import Handlers

extension SecretsEnvelope {
    /// An envelope with a fixed key, for handlers that store secrets in tests.
    static let forTests = SecretsEnvelope(current: SecretsEncryptionKey(bytes: Array(repeating: 7, count: 32)))
}
