package import FoundationEssentials
internal import Storage

/// A web chat visitor's signed token: who the visitor is, on which widget of which tenant, until
/// when. The widget gets it from `GET /api/public/widget/config` and presents it in `hello`; the
/// server reads the visitor's history only for a token it signed itself, so guessing a visitor id
/// reads nothing.
///
/// Text form: `v1.<payload>.<mac>`, both base64url without padding; the payload is
/// `tenant|widget|visitor|expiry` (UUIDs in lower case, the expiry in Unix seconds), the MAC
/// HMAC-SHA256 of `v1.<payload>` under ``VisitorTokenSigner``'s key, compared in constant time.
package struct VisitorToken: Sendable, Equatable {
    /// The tenant owning the widget.
    package var tenantID: UUID
    /// The widget's public id.
    package var widgetID: String
    /// The visitor (the conversation's external user id).
    package var visitorID: UUID
    /// When the token stops being accepted, in Unix seconds.
    package var expiresAt: Int64

    /// Creates a token's content.
    package init(tenantID: UUID, widgetID: String, visitorID: UUID, expiresAt: Int64) {
        self.tenantID = tenantID
        self.widgetID = widgetID
        self.visitorID = visitorID
        self.expiresAt = expiresAt
    }

    /// The signed text's first part: the version.
    static let version = "v1"

    /// The payload, before encoding.
    var payload: String {
        "\(self.tenantID.lowercasedString)|\(self.widgetID)|\(self.visitorID.lowercasedString)|\(self.expiresAt)"
    }

    /// Reads a payload; `nil` when it is not four well-formed parts.
    init?(payload: String) {
        let parts = payload.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 4, let tenantID = UUID(canonicalText: String(parts[0])),
            let visitorID = UUID(canonicalText: String(parts[2])), let expiresAt = Int64(parts[3]), !parts[1].isEmpty
        else { return nil }
        self.init(tenantID: tenantID, widgetID: String(parts[1]), visitorID: visitorID, expiresAt: expiresAt)
    }

    /// `bytes` as base64url without padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// The bytes of base64url text without padding; `nil` when it is not that.
    static func bytes(base64URL text: Substring) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") })
        else { return nil }
        var base64 = String(text).replacing("-", with: "+").replacing("_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map { Array($0) }
    }
}
