/// A way a REST caller authenticates: the security schemes of the OpenAPI document.
package enum AuthScheme: String, Sendable, Hashable, CaseIterable {
    /// An admin key in `x-admin-key`.
    case adminKey
    /// A tenant key in `x-api-key`.
    case apiKey
    /// A tenant key in `Authorization: Bearer`.
    case bearer

    /// The request header that carries the credential, in lower case.
    package var header: String {
        switch self {
        case .adminKey: "x-admin-key"
        case .apiKey: "x-api-key"
        case .bearer: "authorization"
        }
    }

    /// The text that names the scheme in a service's documentation.
    private var mention: String {
        switch self {
        case .adminKey: "`x-admin-key`"
        case .apiKey: "`x-api-key`"
        case .bearer: "Authorization: Bearer"
        }
    }

    /// The schemes a service's documentation names (its `Auth:` paragraph quotes the headers),
    /// in ``allCases`` order; empty for services without authentication.
    ///
    /// - Parameter documentation: The service's documentation lines.
    /// - Returns: The schemes mentioned.
    package static func mentioned(in documentation: [String]) -> [AuthScheme] {
        // Comment lines wrap anywhere, so search the text as one line.
        let text = documentation.joined(separator: " ")
        return Self.allCases.filter { text.contains($0.mention) }
    }
}
