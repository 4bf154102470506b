internal import RPCServer

/// The credential a call carried and the header it came in.
struct PresentedCredential {
    /// Where a credential can come from.
    enum Header {
        /// `x-admin-key`.
        case adminKey
        /// `x-api-key`.
        case apiKey
        /// `authorization: Bearer <key>`.
        case bearer

        /// The header's name, for messages.
        var name: String {
            switch self {
            case .adminKey: "x-admin-key"
            case .apiKey: "x-api-key"
            case .bearer: "authorization"
            }
        }
    }

    /// The header.
    var header: Header
    /// The presented value (never logged or echoed).
    var value: String

    /// The first credential in `x-admin-key`, `x-api-key`, `authorization: Bearer`, or `nil` when
    /// there is none. An `authorization` header with another scheme counts as none.
    ///
    /// - Parameter metadata: The request metadata.
    init?(metadata: Metadata) {
        // One pass over the metadata, remembering the first value of each credential header.
        var adminKey: String?
        var apiKey: String?
        var authorization: String?
        for element in metadata {
            // Compared by name only at the length of one: x-api-key 9, x-admin-key 11,
            // authorization 13. Reading a length takes no call; comparing strings does.
            let length = element.key.utf8.count
            guard length == 9 || length == 11 || length == 13, case .string(let value) = element.value else {
                continue
            }
            switch element.key {
            case "x-admin-key" where adminKey == nil: adminKey = value
            case "x-api-key" where apiKey == nil: apiKey = value
            case "authorization" where authorization == nil: authorization = value
            default: continue
            }
        }
        if let value = adminKey, !value.isEmpty {
            self.init(header: .adminKey, value: value)
        } else if let value = apiKey, !value.isEmpty {
            self.init(header: .apiKey, value: value)
        } else if let authorization, let space = authorization.firstIndex(of: " "),
            authorization[..<space].lowercased() == "bearer"
        {
            let token = authorization[space...].drop(while: { $0 == " " })
            guard !token.isEmpty else { return nil }
            self.init(header: .bearer, value: String(token))
        } else {
            return nil
        }
    }

    private init(header: Header, value: String) {
        self.header = header
        self.value = value
    }
}
