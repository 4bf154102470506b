internal import FoundationEssentials
internal import Storage

/// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, one
/// per secret, separated by spaces in the `webhook-signature` header.
package enum WebhookSignature {
    /// The `webhook-signature` header value.
    ///
    /// - Parameters:
    ///   - id: The `webhook-id` (the event ID).
    ///   - timestamp: The `webhook-timestamp` (Unix seconds).
    ///   - body: The exact body bytes.
    ///   - secrets: The secrets to sign with, the current one first (two during a rotation's grace
    ///     period).
    package static func header(id: String, timestamp: Int64, body: [UInt8], secrets: [WebhookSigningSecret]) -> String {
        let signed = Array("\(id).\(timestamp).".utf8) + body
        return secrets.map { "v1," + Data(Secrets.hmacSHA256(signed, key: $0.key)).base64EncodedString() }
            .joined(separator: " ")
    }
}
