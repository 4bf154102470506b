internal import FoundationEssentials

/// A Graph API error response (`{"error": {"message", "type", "code", "error_subcode"}}`) and
/// what it means for the call: retry later, or fail for good.
struct GraphAPIError: Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status.
    var statusCode: Int
    /// Meta's error code (`190` invalid token, `4`/`80007`/`130429` rate limits, …), if given.
    var code: Int?
    /// Meta's subcode, if given.
    var subcode: Int?
    /// Meta's message (at most 300 characters kept).
    var message: String

    /// Reads an error response; a body that is not Meta's error object keeps its status only.
    init(statusCode: Int, body: [UInt8]) {
        self.statusCode = statusCode
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let error = (try? decoder.decode(Body.self, from: Data(body)))?.error
        self.code = error?.code
        self.subcode = error?.errorSubcode
        self.message = String((error?.message ?? "HTTP \(statusCode)").prefix(300))
    }

    /// The error object's JSON.
    private struct Body: Decodable {
        struct Detail: Decodable {
            var message: String?
            var code: Int?
            var errorSubcode: Int?
        }

        var error: Detail?
    }

    /// Whether the call may succeed later: HTTP 429 or 5xx, or a rate-limit code (4, 17, 32, 613,
    /// 80007, 130429, 131048, 131056), or Meta's transient codes (1, 2).
    var isRetryable: Bool {
        if self.statusCode == 429 || self.statusCode >= 500 { return true }
        guard let code = self.code else { return false }
        return [1, 2, 4, 17, 32, 613, 80007, 130429, 131048, 131056].contains(code)
    }

    /// Whether the access token is invalid or expired (code 190): no retry helps until it is
    /// replaced.
    var isInvalidToken: Bool { self.code == 190 }

    var description: String {
        if let code = self.code {
            return "Graph API error \(code) (HTTP \(self.statusCode)): \(self.message)"
        }
        return "Graph API error (HTTP \(self.statusCode)): \(self.message)"
    }
}
