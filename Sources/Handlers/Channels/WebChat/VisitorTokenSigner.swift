package import FoundationEssentials
internal import Storage

/// Signs and verifies ``VisitorToken``s under a key derived from the server's `API_KEY_PEPPER`
/// (HMAC-SHA256 of a fixed label), so no new secret needs configuring and every server of one
/// deployment accepts the others' tokens. Changing the pepper ends every visitor token (visitors
/// get a new identity and lose their history in the widget, not in the inbox).
package struct VisitorTokenSigner: Sendable {
    /// Why a presented token was refused; the widget is told only that it is not valid.
    package enum Refusal: Error, Sendable, Equatable {
        /// Not a token this server could have made, or its MAC does not match.
        case forged
        /// Past its expiry.
        case expired
        /// Made for another widget.
        case otherWidget
    }

    /// How long a new or refreshed token is accepted. Default 30 days.
    package var lifetime: Duration

    private let key: [UInt8]

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - pepper: `API_KEY_PEPPER`'s bytes.
    ///   - lifetime: How long tokens are accepted.
    package init(pepper: [UInt8], lifetime: Duration = .seconds(30 * 24 * 3600)) {
        self.key = Secrets.hmacSHA256(Array("metachat web chat visitor token v1".utf8), key: pepper)
        self.lifetime = lifetime
    }

    /// A token for a visitor of a widget, valid for ``lifetime`` from `now`.
    package func issue(tenantID: UUID, widgetID: String, visitorID: UUID, now: Date = Date()) -> String {
        let expiresAt = Int64(now.timeIntervalSince1970) + self.lifetime.components.seconds
        return self.sign(
            VisitorToken(tenantID: tenantID, widgetID: widgetID, visitorID: visitorID, expiresAt: expiresAt))
    }

    /// The text form of a token.
    package func sign(_ token: VisitorToken) -> String {
        let signed = VisitorToken.version + "." + VisitorToken.base64URL(Array(token.payload.utf8))
        return signed + "." + VisitorToken.base64URL(Secrets.hmacSHA256(Array(signed.utf8), key: self.key))
    }

    /// The token `text` carries, when this server signed it for `widgetID` and it has not expired.
    ///
    /// - Throws: ``Refusal``.
    package func verify(_ text: String, widgetID: String, now: Date = Date()) throws(Refusal) -> VisitorToken {
        guard text.utf8.count <= 512 else { throw .forged }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == VisitorToken.version, let mac = VisitorToken.bytes(base64URL: parts[2])
        else { throw .forged }
        let signed = Array(text.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard Secrets.constantTimeEquals(Secrets.hmacSHA256(signed, key: self.key), mac) else { throw .forged }
        guard let payload = VisitorToken.bytes(base64URL: parts[1]),
            let token = VisitorToken(payload: String(decoding: payload, as: UTF8.self))
        else { throw .forged }
        guard token.widgetID == widgetID else { throw .otherWidget }
        guard token.expiresAt > Int64(now.timeIntervalSince1970) else { throw .expired }
        return token
    }
}
