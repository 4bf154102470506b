package import FoundationEssentials
internal import Storage

/// Makes one delivery attempt: signs the body (``WebhookSignature``) with the attempt's time,
/// POSTs it through the ``WebhookTransport`` and says what the answer means
/// (``WebhookAttemptOutcome``).
package struct WebhookSender: Sendable {
    let transport: any WebhookTransport
    /// The whole attempt's limit. Default 10 s.
    let timeout: Duration

    /// Creates a sender.
    ///
    /// - Parameters:
    ///   - transport: Sends the request.
    ///   - timeout: The whole attempt's limit.
    package init(transport: any WebhookTransport, timeout: Duration = .seconds(10)) {
        self.transport = transport
        self.timeout = timeout
    }

    /// POSTs `body` to `url` once.
    ///
    /// - Parameters:
    ///   - url: The endpoint's URL.
    ///   - eventID: The `webhook-id`.
    ///   - body: The JSON body.
    ///   - secrets: The signing secrets, the current one first.
    package func send(url: String, eventID: UUID, body: String, secrets: [WebhookSigningSecret]) async
        -> WebhookAttempt
    {
        let startedAt = Date()
        let timestamp = Int64(startedAt.timeIntervalSince1970.rounded(.down))
        let bytes = Array(body.utf8)
        let id = eventID.lowercasedString
        let headers = [
            ("content-type", "application/json"),
            ("user-agent", "MetaChat-Webhooks/1"),
            ("webhook-id", id),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", WebhookSignature.header(id: id, timestamp: timestamp, body: bytes, secrets: secrets)),
        ]
        do {
            let response = try await self.transport.post(
                url: url, headers: headers, body: bytes, timeout: self.timeout)
            let outcome = WebhookAttemptOutcome(
                statusCode: response.statusCode, retryAfter: response.retryAfter,
                nowSeconds: Int64(Date().timeIntervalSince1970))
            return WebhookAttempt(
                startedAt: startedAt, finishedAt: Date(), statusCode: response.statusCode,
                error: outcome == .succeeded ? "" : "HTTP \(response.statusCode)", responseBody: response.bodyPrefix,
                outcome: outcome)
        } catch let error as WebhookTransportError {
            return WebhookAttempt(
                startedAt: startedAt, finishedAt: Date(), statusCode: 0, error: error.description, responseBody: "",
                outcome: error.retryable ? .retryable(retryAfter: nil) : .final)
        } catch {
            return WebhookAttempt(
                startedAt: startedAt, finishedAt: Date(), statusCode: 0, error: "request failed", responseBody: "",
                outcome: .retryable(retryAfter: nil))
        }
    }
}

/// One attempt's result, as the delivery log records it.
package struct WebhookAttempt: Sendable, Hashable {
    /// When the request started.
    package var startedAt: Date
    /// When the answer or the failure came.
    package var finishedAt: Date
    /// The HTTP status; 0 without a response.
    package var statusCode: Int
    /// Why it failed; empty after success.
    package var error: String
    /// The first 1024 bytes of the response body.
    package var responseBody: String
    /// What it means.
    package var outcome: WebhookAttemptOutcome
}
