extension SecretColumn {
    /// Every column that holds sealed secrets. A feature that stores a secret adds its column here.
    package static let registered: [SecretColumn] =
        [
            SecretColumn(table: "tenants", column: "llm_api_key", lastFourColumn: "llm_api_key_last_four"),
            SecretColumn(table: "tenants", column: "embedding_api_key", lastFourColumn: "embedding_api_key_last_four"),
            SecretColumn(table: "tenants", column: "previous_embedding_api_key"),
        ] + EnvelopeWebhookSecrets.columns + ChannelSecretSealing.columns
}
