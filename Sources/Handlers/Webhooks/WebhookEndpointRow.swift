internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage
internal import SwiftProtobuf

/// A `webhook_endpoints` row: the endpoint as clients see it, and its sealed secrets for signing.
struct WebhookEndpointRow: Sendable {
    /// The columns every endpoint query selects or returns. Constant text.
    static let columns: StaticString = """
        id, tenant_id, url, array_to_string(event_types, ',') AS event_types, description, enabled, disabled_reason,
        consecutive_failures, signing_secret_last_four, created_at, updated_at, secret_rotated_at,
        signing_secret,
        CASE WHEN previous_secret_expires_at > now() THEN previous_signing_secret END AS previous_signing_secret,
        CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END AS previous_secret_expires_at,
        (extract(epoch FROM created_at) * 1000000)::int8 AS created_micros
        """

    /// The endpoint as responses show it (no secret).
    var endpoint: Metachat_V1_WebhookEndpoint
    /// Its ID.
    var id: UUID
    /// The sealed current secret.
    var sealedSecret: String
    /// The sealed previous secret while its grace period lasts.
    var sealedPreviousSecret: String?
    /// `created_at` in microseconds (the page cursor).
    var createdMicros: Int64

    /// Decodes a row selected with ``columns``.
    init(_ row: PostgresRow) throws {
        self.id = try row.decode("id")
        var endpoint = Metachat_V1_WebhookEndpoint()
        endpoint.id = self.id.lowercasedString
        endpoint.tenantID = try row.decode("tenant_id", as: UUID.self).lowercasedString
        endpoint.url = try row.decode("url")
        endpoint.eventTypes = try row.decode("event_types", as: String.self).split(separator: ",").compactMap {
            Metachat_V1_WebhookEventType(wireName: String($0))
        }
        endpoint.description_p = try row.decode("description")
        endpoint.enabled = try row.decode("enabled")
        endpoint.disabledReason = try row.decode("disabled_reason")
        endpoint.consecutiveFailures = try row.decode("consecutive_failures")
        endpoint.signingSecretLastFour = try row.decode("signing_secret_last_four")
        endpoint.createdAt = Google_Protobuf_Timestamp(date: try row.decode("created_at", as: Date.self))
        endpoint.updatedAt = Google_Protobuf_Timestamp(date: try row.decode("updated_at", as: Date.self))
        if let rotated = try row.decode("secret_rotated_at", as: Date?.self) {
            endpoint.secretRotatedAt = Google_Protobuf_Timestamp(date: rotated)
        }
        if let expires = try row.decode("previous_secret_expires_at", as: Date?.self) {
            endpoint.previousSecretExpiresAt = Google_Protobuf_Timestamp(date: expires)
        }
        self.endpoint = endpoint
        self.sealedSecret = try row.decode("signing_secret")
        self.sealedPreviousSecret = try row.decode("previous_signing_secret")
        self.createdMicros = try row.decode("created_micros")
    }

    /// The secrets to sign with, the current one first.
    ///
    /// - Throws: When a stored secret does not open.
    func signingSecrets(_ sealing: any WebhookSecretSealing) throws -> [WebhookSigningSecret] {
        try Self.signingSecrets(
            current: self.sealedSecret, previous: self.sealedPreviousSecret, endpointID: self.id, sealing: sealing)
    }

    /// The secrets to sign with from their sealed forms, the current one first.
    static func signingSecrets(
        current: String, previous: String?, endpointID: UUID, sealing: any WebhookSecretSealing
    ) throws -> [WebhookSigningSecret] {
        var secrets: [WebhookSigningSecret] = []
        for (stored, column) in [(current, "signing_secret"), (previous, "previous_signing_secret")] {
            guard let stored else { continue }
            guard
                let secret = WebhookSigningSecret(
                    text: try sealing.open(stored, endpointID: endpointID, column: column))
            else { throw WebhookSecretUnreadable() }
            secrets.append(secret)
        }
        return secrets
    }
}

/// A stored signing secret opened to something that is not a secret.
struct WebhookSecretUnreadable: Error {}
