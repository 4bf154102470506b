internal import FoundationEssentials

/// Splits a Prisma-style `schema=NAME` query parameter, which libpq rejects, off a connection URI.
enum PostgresConnectionURL {
    /// The URI without any `schema` parameter, and the schema it named.
    static func removingSchemaParameter(_ url: String) -> (url: String, schema: String?) {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
            let questionMark = url.firstIndex(of: "?")
        else { return (url, nil) }
        let base = url[..<questionMark]
        var kept: [Substring] = []
        var schema: String?
        for item in url[url.index(after: questionMark)...].split(separator: "&", omittingEmptySubsequences: true) {
            if item.hasPrefix("schema=") {
                let raw = String(item.dropFirst("schema=".count))
                schema = ASCIIHex.percentDecoded(raw) ?? raw
            } else {
                kept.append(item)
            }
        }
        guard schema != nil else { return (url, nil) }
        return (kept.isEmpty ? String(base) : base + "?" + kept.joined(separator: "&"), schema)
    }
}
