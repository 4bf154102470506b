internal import FoundationEssentials

/// The opaque `page_token` of ListTenants: the last tenant of the previous page (its `created_at`
/// in microseconds and its ID) plus the filters the page was listed with, as base64url JSON.
struct TenantPageToken: Codable, Equatable {
    /// `created_at` of the last tenant shown, microseconds since 1970.
    var createdMicros: Int64
    /// ID of the last tenant shown.
    var id: UUID
    /// The `enabled` filter of the listing.
    var enabled: Bool?
    /// The `name_query` filter of the listing.
    var nameQuery: String

    private enum CodingKeys: String, CodingKey {
        case createdMicros = "c"
        case id = "i"
        case enabled = "e"
        case nameQuery = "q"
    }

    /// The token text.
    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding a struct of an integer, a UUID, an optional Bool and a String cannot fail.
        let json = (try? encoder.encode(self)) ?? Data()
        return json.base64EncodedString()
            .replacing("+", with: "-")
            .replacing("/", with: "_")
            .replacing("=", with: "")
    }

    /// Reads a token.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `pageToken` when it is not one this server made.
    init(decoding text: String) throws {
        var base64 = text.replacing("-", with: "+").replacing("_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.count <= 1024, let data = Data(base64Encoded: base64),
            let token = try? JSONDecoder().decode(Self.self, from: data)
        else {
            throw TenantFieldViolation.error("pageToken", "is not a token from a previous ListTenants response")
        }
        self = token
    }

    /// Creates a token.
    init(createdMicros: Int64, id: UUID, enabled: Bool?, nameQuery: String) {
        self.createdMicros = createdMicros
        self.id = id
        self.enabled = enabled
        self.nameQuery = nameQuery
    }
}
