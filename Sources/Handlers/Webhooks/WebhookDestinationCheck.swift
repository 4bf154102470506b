/// Decides at save time whether a tenant may send webhooks to a URL (the egress guard in
/// `serve`): https, and an address outside loopback, private, link-local and metadata ranges
/// unless inside `OUTBOUND_ALLOW_CIDRS`.
package protocol WebhookDestinationCheck: Sendable {
    /// Throws a message naming the host and why when `url` is refused.
    ///
    /// - Parameter url: The receiver URL.
    func check(url: String) async throws(WebhookDestinationRefusal)
}

/// Why a webhook destination is refused.
package struct WebhookDestinationRefusal: Error, Sendable, CustomStringConvertible {
    /// The reason, naming the host and address (no secret).
    package var description: String

    /// Creates a refusal.
    package init(_ description: String) {
        self.description = description
    }
}
