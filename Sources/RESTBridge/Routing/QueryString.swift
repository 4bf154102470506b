/// The `name=value` pairs of a request target's query, percent-decoded, in order.
package enum QueryString {
    /// A pair that could not be decoded.
    package struct Malformed: Error {
        /// The pair as it appeared in the query.
        package var pair: String
    }

    /// Splits and decodes the query of a request target.
    ///
    /// - Parameter target: The path and query, e.g. `/api/tenants?pageSize=10`.
    /// - Returns: The pairs; a name without `=` has an empty value.
    package static func pairs(in target: String) throws(Malformed) -> [(name: String, value: String)] {
        guard let question = target.firstIndex(of: "?") else { return [] }
        var pairs: [(name: String, value: String)] = []
        for piece in target[target.index(after: question)...].split(separator: "&") {
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(String(parts[0]), plusIsSpace: true),
                let value = PercentDecoding.decode(parts.count > 1 ? String(parts[1]) : "", plusIsSpace: true)
            else { throw Malformed(pair: String(piece)) }
            guard !name.isEmpty else { continue }
            pairs.append((name, value))
        }
        return pairs
    }
}
