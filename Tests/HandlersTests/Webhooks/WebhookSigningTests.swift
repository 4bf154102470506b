import Foundation
import Handlers
import Testing

@Suite("Webhook signing (Standard Webhooks)")
struct WebhookSigningTests {
    @Test("The signature matches the Standard Webhooks specification's example")
    func specificationExample() throws {
        let secret = try #require(WebhookSigningSecret(text: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let header = WebhookSignature.header(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8),
            secrets: [secret])
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test("During a rotation both secrets sign, the new one first, separated by a space")
    func rotationSignsTwice() throws {
        let new = WebhookSigningSecret.generate()
        let old = WebhookSigningSecret.generate()
        let body = Array(#"{"type":"webhook.test"}"#.utf8)
        let both = WebhookSignature.header(id: "id-1", timestamp: 10, body: body, secrets: [new, old])
        let parts = both.split(separator: " ").map(String.init)
        #expect(parts.count == 2)
        #expect(parts[0] == WebhookSignature.header(id: "id-1", timestamp: 10, body: body, secrets: [new]))
        #expect(parts[1] == WebhookSignature.header(id: "id-1", timestamp: 10, body: body, secrets: [old]))
        #expect(parts[0] != parts[1])
    }

    @Test("Generated secrets are whsec_ and base64 of 32 random bytes, and read back")
    func generatedSecrets() throws {
        let secret = WebhookSigningSecret.generate()
        #expect(secret.text.hasPrefix("whsec_"))
        #expect(secret.key.count == 32)
        #expect(WebhookSigningSecret(text: secret.text)?.key == secret.key)
        #expect(WebhookSigningSecret.generate().key != secret.key)
        #expect(secret.lastFour == String(secret.text.suffix(4)))
    }

    @Test(
        "Secrets that are not whsec_ and base64 of 24 to 64 bytes are refused",
        arguments: [
            "", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_AAAA",
            "whsec_" + String(repeating: "A", count: 200),
        ])
    func malformedSecrets(_ text: String) {
        #expect(WebhookSigningSecret(text: text) == nil)
    }
}
