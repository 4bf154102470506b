internal import FoundationEssentials
internal import Handlers

/// Stands in for the secrets envelope until it exists: keeps signing secrets as they are.
struct InterimWebhookSecretSealing: WebhookSecretSealing {
    func seal(_ secret: String, endpointID: UUID, column: String) throws -> String { secret }

    func open(_ stored: String, endpointID: UUID, column: String) throws -> String { stored }
}

/// Stands in for the egress guard until it exists: accepts every http(s) URL.
struct InterimWebhookDestinationCheck: WebhookDestinationCheck {
    func check(url: String) async throws(WebhookDestinationRefusal) {}
}
