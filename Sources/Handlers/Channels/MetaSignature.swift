internal import Storage

/// Meta's callback signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`.
package enum MetaSignature {
    /// The header value for `body` signed with `appSecret`.
    package static func header(body: [UInt8], appSecret: String) -> String {
        "sha256=" + Hex.encode(Secrets.hmacSHA256(body, key: Array(appSecret.utf8)))
    }

    /// The MAC a header carries, or `nil` when it is not `sha256=` and 64 hex digits.
    static func mac(ofHeader header: String?) -> [UInt8]? {
        guard let header, header.utf8.count == 71, header.lowercased().hasPrefix("sha256=") else { return nil }
        guard let bytes = Hex.decode(String(header.dropFirst(7)).lowercased()), bytes.count == 32 else { return nil }
        return bytes
    }

    /// Whether `mac` is the signature of `body` under `appSecret`, compared in constant time.
    static func matches(_ mac: [UInt8], body: [UInt8], appSecret: String) -> Bool {
        Secrets.constantTimeEquals(Secrets.hmacSHA256(body, key: Array(appSecret.utf8)), mac)
    }
}
