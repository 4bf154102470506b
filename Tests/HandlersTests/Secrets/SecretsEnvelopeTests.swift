import Foundation
import Handlers
import Testing

@Suite("SecretsEnvelope")
struct SecretsEnvelopeTests {
    private static let key = SecretsEncryptionKey(bytes: Array(0..<32))
    private static let otherKey = SecretsEncryptionKey(bytes: Array(repeating: 0xA5, count: 32))
    private static let context = SecretContext(table: "tenants", column: "llm_api_key", rowID: "row-1")

    @Test("A sealed secret opens to the same text and never shows it")
    func roundTrip() throws {
        let envelope = SecretsEnvelope(current: Self.key)
        let secret = "sk-live-0123456789abcdefWXYZ"
        let sealed = try envelope.seal(secret, context: Self.context)
        #expect(sealed.hasPrefix("mcs1:\(Self.key.id):"))
        #expect(!sealed.contains(secret))
        #expect(!sealed.contains("WXYZ"))
        #expect(try envelope.open(sealed, context: Self.context) == secret)
    }

    @Test("Each seal uses a fresh nonce: the same secret seals to different text")
    func freshNonces() throws {
        let envelope = SecretsEnvelope(current: Self.key)
        let first = try envelope.seal("same", context: Self.context)
        let second = try envelope.seal("same", context: Self.context)
        #expect(first != second)
    }

    @Test("A sealed value copied to another row or column does not open")
    func contextBinding() throws {
        let envelope = SecretsEnvelope(current: Self.key)
        let sealed = try envelope.seal("secret", context: Self.context)
        let otherRow = SecretContext(table: "tenants", column: "llm_api_key", rowID: "row-2")
        let otherColumn = SecretContext(table: "tenants", column: "embedding_api_key", rowID: "row-1")
        #expect(throws: SecretsEnvelopeError.undecryptable) { try envelope.open(sealed, context: otherRow) }
        #expect(throws: SecretsEnvelopeError.undecryptable) { try envelope.open(sealed, context: otherColumn) }
    }

    @Test("Every flipped bit of a sealed value is detected")
    func tamperDetected() throws {
        let envelope = SecretsEnvelope(current: Self.key)
        let sealed = try envelope.seal("secret", context: Self.context)
        let prefix = "mcs1:\(Self.key.id):"
        let bytes = Array(try #require(Data(base64Encoded: String(sealed.dropFirst(prefix.count)))))
        for index in bytes.indices {
            for bit in 0..<8 {
                var tampered = bytes
                tampered[index] ^= UInt8(1 << bit)
                let text = prefix + Data(tampered).base64EncodedString()
                #expect(throws: SecretsEnvelopeError.undecryptable) { try envelope.open(text, context: Self.context) }
            }
        }
    }

    @Test("Values sealed under an old key open while it is listed, and not after it is dropped")
    func oldKeys() throws {
        let sealedUnderOld = try SecretsEnvelope(current: Self.otherKey).seal("secret", context: Self.context)
        let rotated = SecretsEnvelope(current: Self.key, old: [Self.otherKey])
        #expect(try rotated.open(sealedUnderOld, context: Self.context) == "secret")
        let dropped = SecretsEnvelope(current: Self.key)
        #expect(throws: SecretsEnvelopeError.unknownKey(id: Self.otherKey.id)) {
            try dropped.open(sealedUnderOld, context: Self.context)
        }
    }

    @Test("Without a key nothing is sealed")
    func noKey() {
        #expect(throws: SecretsEnvelopeError.noKey) {
            try SecretsEnvelope(current: nil).seal("secret", context: Self.context)
        }
    }

    @Test(
        "Malformed stored values are refused, not crashed on",
        arguments: [
            "", "plaintext", "mcs1:", "mcs1:abcd", "mcs1:abcd:", "mcs1::AAAA", "mcs1:abcd:!!!!",
            "mcs1:abcd:AAAA", "mcs2:abcd:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ])
    func malformed(stored: String) {
        let envelope = SecretsEnvelope(current: Self.key)
        #expect(throws: SecretsEnvelopeError.self) { try envelope.open(stored, context: Self.context) }
    }

    @Test("A value whose key id is unknown names that id")
    func unknownKeyID() throws {
        let envelope = SecretsEnvelope(current: Self.key)
        let sealed = try envelope.seal("secret", context: Self.context)
        let renamed = sealed.replacingOccurrences(of: Self.key.id, with: "ffffffff")
        #expect(throws: SecretsEnvelopeError.unknownKey(id: "ffffffff")) {
            try envelope.open(renamed, context: Self.context)
        }
    }

    @Test("Keys are read from 64 hex digits or base64 of 32 bytes; the id is stable")
    func keyTexts() throws {
        let hex = String(repeating: "ab", count: 32)
        let fromHex = try SecretsEncryptionKey(text: hex)
        let fromBase64 = try SecretsEncryptionKey(text: Data(repeating: 0xAB, count: 32).base64EncodedString())
        #expect(fromHex.id == fromBase64.id)
        #expect(fromHex.id.count == 8)
        #expect(try SecretsEncryptionKey(text: " \(hex) ").id == fromHex.id)
    }

    @Test(
        "Key texts that do not spell 32 bytes are refused without echoing them",
        arguments: [
            "", "short", String(repeating: "ab", count: 31), String(repeating: "ab", count: 33),
            String(repeating: "zz", count: 32), Data(repeating: 1, count: 31).base64EncodedString(),
            Data(repeating: 1, count: 33).base64EncodedString(),
        ])
    func badKeyTexts(text: String) {
        #expect {
            _ = try SecretsEncryptionKey(text: text)
        } throws: { error in
            let description = "\(error)"
            return description.contains("32 bytes") && (text.count < 8 || !description.contains(text))
        }
    }

    @Test("lastFour is the last four characters, fewer for shorter secrets")
    func lastFour() {
        #expect(SecretsEnvelope.lastFour(of: "sk-123456WXYZ") == "WXYZ")
        #expect(SecretsEnvelope.lastFour(of: "ab") == "ab")
        #expect(SecretsEnvelope.lastFour(of: "") == "")
    }
}
