internal import FoundationEssentials

/// The opaque `page_token` of ListConversations, ListMessages and ListApiLogs: where the previous
/// page ended (a position and, for conversations, the last ID; for API logs the last row number)
/// and the filters it was listed with, as base64url JSON.
struct KeysetPageToken: Codable, Equatable {
    /// `updated_at` in microseconds (conversations) or the message position (messages).
    var position: Int64
    /// The last conversation's ID (conversations only).
    var id: UUID?
    /// The last row's number (API logs only).
    var sequence: Int64?
    /// The listing's filters (``ConversationListFilter/fingerprint``, or the conversation and
    /// direction of a message listing).
    var filters: String

    private enum CodingKeys: String, CodingKey {
        case position = "p"
        case id = "i"
        case sequence = "s"
        case filters = "f"
    }

    /// Creates a token.
    init(position: Int64, id: UUID? = nil, sequence: Int64? = nil, filters: String) {
        self.position = position
        self.id = id
        self.sequence = sequence
        self.filters = filters
    }

    /// The token text.
    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding an integer, an optional UUID and a String cannot fail.
        let json = (try? encoder.encode(self)) ?? Data()
        return json.base64EncodedString()
            .replacing("+", with: "-")
            .replacing("/", with: "_")
            .replacing("=", with: "")
    }

    /// Reads a token issued for `filters`.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `pageToken` when it is not a token this server made
    ///   for these filters.
    init(decoding text: String, filters: String, method: String) throws {
        var base64 = text.replacing("-", with: "+").replacing("_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard text.utf8.count <= 512, let data = Data(base64Encoded: base64),
            let token = try? JSONDecoder().decode(Self.self, from: data)
        else {
            throw TenantFieldViolation.error("pageToken", "is not a token from a previous \(method) response")
        }
        guard token.filters == filters else {
            throw TenantFieldViolation.error("pageToken", "was issued for other filters")
        }
        self = token
    }
}
