internal import FoundationEssentials
internal import MetaChatAPI
internal import Storage

/// A delivery a relay claimed for one attempt, with what the attempt needs of its endpoint.
struct WebhookClaim: Sendable {
    var id: UUID
    var tenantID: UUID
    var webhookID: UUID
    var eventID: UUID
    var body: String
    /// The number of this attempt, from 1.
    var attempt: Int32
    var maximumAttempts: Int32
    var url: String
    var endpointEnabled: Bool
    var sealedSecret: String
    var sealedPreviousSecret: String?

    /// The columns the claim returns. Constant text.
    static let columns: StaticString = """
        d.id, d.tenant_id, d.webhook_id, d.event_id, d.body, d.attempts, d.max_attempts, e.url, e.enabled,
        e.signing_secret,
        CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_signing_secret END AS previous_signing_secret
        """

    /// A claim of a test delivery the handler inserted itself.
    init(test row: WebhookDeliveryRow, tenantID: UUID, endpoint: WebhookEndpointRow) {
        self.id = row.id
        self.tenantID = tenantID
        self.webhookID = endpoint.id
        self.eventID = row.eventID
        self.body = row.body
        self.attempt = 1
        self.maximumAttempts = 1
        self.url = endpoint.endpoint.url
        self.endpointEnabled = true
        self.sealedSecret = endpoint.sealedSecret
        self.sealedPreviousSecret = endpoint.sealedPreviousSecret
    }

    /// Decodes a row returned with ``columns``.
    init(_ row: PostgresRow) throws {
        self.id = try row.decode("id")
        self.tenantID = try row.decode("tenant_id")
        self.webhookID = try row.decode("webhook_id")
        self.eventID = try row.decode("event_id")
        self.body = try row.decode("body")
        self.attempt = try row.decode("attempts")
        self.maximumAttempts = try row.decode("max_attempts")
        self.url = try row.decode("url")
        self.endpointEnabled = try row.decode("enabled")
        self.sealedSecret = try row.decode("signing_secret")
        self.sealedPreviousSecret = try row.decode("previous_signing_secret")
    }
}
