internal import FoundationEssentials
internal import RPCServer

/// One page of a listing: how many rows and from where, read from `pageSize` and `pageToken`.
///
/// The token is opaque to clients: the base64 of `offset:<n>`.
struct PageRequest: Sendable, Hashable {
    /// The default page size.
    static let defaultSize = 50
    /// The largest page size.
    static let maximumSize = 200
    /// The largest offset a token may carry. Tokens are client-held text, so the offset is
    /// bounded before anything adds to it; no listing here comes near a billion rows.
    static let maximumOffset = 1_000_000_000

    /// Rows on the page.
    var size: Int
    /// Rows before the page.
    var offset: Int

    /// Reads the request fields.
    ///
    /// - Throws: `INVALID_ARGUMENT` for a size outside 0...200 or a token this server did not issue.
    init(size: Int32, token: String) throws {
        guard (0...Int32(Self.maximumSize)).contains(size) else {
            throw RPCError(code: .invalidArgument, message: "pageSize must be between 0 and 200.")
        }
        self.size = size == 0 ? Self.defaultSize : Int(size)
        if token.isEmpty {
            self.offset = 0
        } else {
            guard let data = Data(base64Encoded: token),
                let text = String(data: data, encoding: .utf8), text.hasPrefix("offset:"),
                case let digits = text.dropFirst("offset:".count), (1...10).contains(digits.count),
                digits.allSatisfy({ $0.isASCII && $0.isNumber }), let offset = Int(digits),
                offset <= Self.maximumOffset
            else {
                throw RPCError(code: .invalidArgument, message: "pageToken is not a token from a previous page.")
            }
            self.offset = offset
        }
    }

    /// The token for the page after this one, given whether more rows exist; none once the next
    /// offset would pass ``maximumOffset``.
    func nextToken(hasMore: Bool) -> String {
        guard hasMore, self.offset + self.size <= Self.maximumOffset else { return "" }
        return Data("offset:\(self.offset + self.size)".utf8).base64EncodedString()
    }
}
